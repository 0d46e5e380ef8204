# style: a dict of (function, derivative) tuples keyed by name.lower(), unknown names raise; mean losses via .mean() and size()
# wrong: none
import torch

_FUNCS = {
    "relu": (lambda z: torch.clamp(z, min=0.0),
             lambda z: torch.where(z > 0, torch.tensor(1.0), torch.tensor(0.0))),
    "sigmoid": (torch.sigmoid,
                lambda z: torch.sigmoid(z) * (1.0 - torch.sigmoid(z))),
    "identity": (lambda z: z, lambda z: torch.ones_like(z)),
}


class MLP:
    def __init__(self, linear_1_in_features, linear_1_out_features, f_function,
                 linear_2_in_features, linear_2_out_features, g_function):
        self.f_function = f_function
        self.g_function = g_function
        try:
            self.f, self.df = _FUNCS[f_function.lower()]
            self.g, self.dg = _FUNCS[g_function.lower()]
        except KeyError as e:
            raise NotImplementedError(f"activation {e} not supported")
        self.parameters = dict(
            W1=torch.randn(linear_1_out_features, linear_1_in_features),
            b1=torch.randn(linear_1_out_features),
            W2=torch.randn(linear_2_out_features, linear_2_in_features),
            b2=torch.randn(linear_2_out_features),
        )
        self.grads = dict(
            dJdW1=torch.zeros(linear_1_out_features, linear_1_in_features),
            dJdb1=torch.zeros(linear_1_out_features),
            dJdW2=torch.zeros(linear_2_out_features, linear_2_in_features),
            dJdb2=torch.zeros(linear_2_out_features),
        )
        self.cache = dict()

    def forward(self, x):
        s1 = x @ self.parameters["W1"].T + self.parameters["b1"]
        h = self.f(s1)
        s2 = h @ self.parameters["W2"].T + self.parameters["b2"]
        self.cache["x"], self.cache["s1"], self.cache["h"], self.cache["s2"] = x, s1, h, s2
        return self.g(s2)

    def backward(self, dJdy_hat):
        x, s1, h, s2 = self.cache["x"], self.cache["s1"], self.cache["h"], self.cache["s2"]
        e2 = dJdy_hat * self.dg(s2)
        e1 = (e2 @ self.parameters["W2"]) * self.df(s1)
        self.grads["dJdW2"] = e2.T @ h
        self.grads["dJdb2"] = e2.sum(0)
        self.grads["dJdW1"] = e1.T @ x
        self.grads["dJdb1"] = e1.sum(0)

    def clear_grad_and_cache(self):
        for grad in self.grads:
            self.grads[grad].zero_()
        self.cache = dict()


def mse_loss(y, y_hat):
    batch_size, k = y.size()
    loss = (y_hat - y).pow(2).mean()
    return loss, 2.0 * (y_hat - y) / (batch_size * k)


def bce_loss(y, y_hat):
    batch_size, k = y.size()
    loss = -(y * torch.log(y_hat) + (1.0 - y) * torch.log(1.0 - y_hat)).mean()
    grad = -(y / y_hat) + (1.0 - y) / (1.0 - y_hat)
    return loss, grad / (batch_size * k)
