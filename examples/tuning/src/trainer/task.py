"""One trial: train with the parameters Vertex AI passes, report the validation loss.

Vertex AI appends the trial's parameters to the container's args
(``--learning_rate=0.05 --optimizer=momentum``) and reads the metric from
cloudml-hypertune's file (``trainer/hypertune.py`` writes it). Each trial has its
own AIP_MODEL_DIR (``<base_output_directory>/<trial id>/model/``), where the model
is saved: the best trial's model is the one to keep.
"""

import argparse
import json
import os

from trainer import hypertune
from trainer.model import OPTIMIZERS, train


def local_path(uri):
    return "/gcs/" + uri[len("gs://") :] if uri.startswith("gs://") else uri


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--learning_rate", type=float, required=True)
    parser.add_argument("--optimizer", choices=OPTIMIZERS, required=True)
    args = parser.parse_args()
    trial = os.environ.get("CLOUD_ML_TRIAL_ID", "?")
    hpt = hypertune.HyperTune()

    def report(epoch, loss):
        print(f"trial {trial} epoch {epoch}: val_loss {loss:.6f}", flush=True)
        hpt.report_hyperparameter_tuning_metric("val_loss", loss, global_step=epoch)

    loss, model = train(args.learning_rate, args.optimizer, args.epochs, report)
    model_dir = os.environ.get("AIP_MODEL_DIR")
    if model_dir:
        path = local_path(model_dir)
        os.makedirs(path, exist_ok=True)
        with open(os.path.join(path, "model.json"), "w") as f:
            json.dump({**model, **vars(args), "val_loss": loss}, f)
        print(f"saved the model to {model_dir}model.json", flush=True)


if __name__ == "__main__":
    main()
