"""Fits y = 3x + 2 and saves the model under AIP_MODEL_DIR (via the /gcs mount)."""

import argparse
import json
import os
import random

from . import model


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=100)
    args = parser.parse_args()
    rng = random.Random(0)
    xs = [rng.uniform(-1, 1) for _ in range(128)]
    data = [(x, 3 * x + 2) for x in xs]
    weights = model.fit(data, args.epochs)
    out = os.environ["AIP_MODEL_DIR"].replace("gs://", "/gcs/", 1)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "model.json"), "w") as fh:
        json.dump(weights, fh)
    print("saved", weights, "to", os.environ["AIP_MODEL_DIR"])


main()
