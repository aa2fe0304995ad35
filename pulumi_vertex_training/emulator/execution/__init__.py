"""Running a CustomJob's replicas: from the job to containers, Docker, outcomes and logs."""
