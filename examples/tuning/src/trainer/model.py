"""The model the trials train: y = w*x + b fitted by full-batch gradient descent.

Pure and deterministic (no random numbers, no math library calls: the same floats
in any Python), so a test can compute every trial's result, and so the best trial,
before the study runs.
"""

OPTIMIZERS = ("sgd", "momentum")
MOMENTUM = 0.9


def dataset():
    """(train, validation): points near y = 3x + 2 on [-1, 1], with a fixed wobble."""
    points = []
    for i in range(128):
        x = i / 64 - 1
        points.append((x, 3 * x + 2 + ((i * 37) % 11 - 5) / 50))
    return points[0::2], points[1::2]


def mse(w, b, points):
    return sum((w * x + b - y) ** 2 for x, y in points) / len(points)


def train(learning_rate, optimizer, epochs, report=None):
    """Fit; call ``report(epoch, validation loss)`` every 10 epochs and at the end.

    Returns the final validation loss (what the study minimizes).
    """
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}, not {optimizer!r}")
    beta = MOMENTUM if optimizer == "momentum" else 0.0
    training, validation = dataset()
    w = b = velocity_w = velocity_b = 0.0
    loss = mse(w, b, validation)
    for epoch in range(1, epochs + 1):
        grad_w = sum((w * x + b - y) * x for x, y in training) * 2 / len(training)
        grad_b = sum(w * x + b - y for x, y in training) * 2 / len(training)
        velocity_w = beta * velocity_w + grad_w
        velocity_b = beta * velocity_b + grad_b
        w -= learning_rate * velocity_w
        b -= learning_rate * velocity_b
        loss = mse(w, b, validation)
        if report is not None and (epoch % 10 == 0 or epoch == epochs):
            report(epoch, loss)
    return loss, {"w": w, "b": b}
