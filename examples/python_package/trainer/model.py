"""A linear model fitted by gradient descent."""


def fit(data: list[tuple[float, float]], epochs: int, lr: float = 0.1) -> dict[str, float]:
    """Weights ``w``, ``b`` of ``y = w x + b`` after ``epochs`` passes."""
    w = b = 0.0
    for _ in range(epochs):
        gw = sum((w * x + b - y) * x for x, y in data) * 2 / len(data)
        gb = sum(w * x + b - y for x, y in data) * 2 / len(data)
        w, b = w - lr * gw, b - lr * gb
    return {"w": round(w, 3), "b": round(b, 3)}
