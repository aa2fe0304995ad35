"""PipelineService: custom TrainingPipelines, run as a CustomJob, uploading their model."""
