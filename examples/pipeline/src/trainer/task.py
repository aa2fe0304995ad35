"""A tiny trainer: fits y = 3x + 2 by gradient descent and saves the model where Vertex
AI says, AIP_MODEL_DIR, which a TrainingPipeline uploads to the Model Registry.

Vertex AI sets AIP_MODEL_DIR (``{base_output_directory}/model/``, a gs:// path); Cloud
Storage is mounted at /gcs/<bucket> in the container, so plain file I/O writes there.
"""

import argparse
import json
import os
import random


def train(epochs: int, learning_rate: float) -> dict[str, float]:
    rng = random.Random(0)
    xs = [rng.uniform(-1, 1) for _ in range(256)]
    ys = [3 * x + 2 + rng.gauss(0, 0.05) for x in xs]
    w, b = 0.0, 0.0
    for epoch in range(epochs):
        grad_w = sum((w * x + b - y) * x for x, y in zip(xs, ys, strict=True)) * 2 / len(xs)
        grad_b = sum(w * x + b - y for x, y in zip(xs, ys, strict=True)) * 2 / len(xs)
        w -= learning_rate * grad_w
        b -= learning_rate * grad_b
        if epoch % 50 == 0:
            loss = sum((w * x + b - y) ** 2 for x, y in zip(xs, ys, strict=True)) / len(xs)
            print(f"epoch {epoch}: loss {loss:.4f}", flush=True)
    return {"w": w, "b": b}


def local_path(uri: str) -> str:
    return "/gcs/" + uri[len("gs://") :] if uri.startswith("gs://") else uri


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--learning-rate", type=float, default=0.05)
    args = parser.parse_args()
    model = train(args.epochs, args.learning_rate)
    print(f"trained: w={model['w']:.3f} b={model['b']:.3f}", flush=True)
    model_dir = os.environ["AIP_MODEL_DIR"]  # a pipeline uploads from here: it must be set
    path = local_path(model_dir)
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "model.json"), "w") as f:
        json.dump(model, f)
    print(f"saved the model to {model_dir}model.json", flush=True)


if __name__ == "__main__":
    main()
