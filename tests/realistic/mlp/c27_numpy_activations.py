# style: torch for the linear algebra, numpy (np.exp, np.maximum) for the activations with round trips through .numpy() / torch.from_numpy
# wrong: none
import numpy as np
import torch


def act_np(name, z):
    zn = z.numpy()
    if name == "relu":
        out = np.maximum(zn, 0)
    elif name == "sigmoid":
        out = 1 / (1 + np.exp(-zn))
    elif name == "identity":
        out = zn.copy()
    return torch.from_numpy(out)


def dact_np(name, z):
    zn = z.numpy()
    if name == "relu":
        out = np.where(zn > 0, 1.0, 0.0).astype(zn.dtype)
    elif name == "sigmoid":
        s = 1 / (1 + np.exp(-zn))
        out = s * (1 - s)
    elif name == "identity":
        out = np.ones_like(zn)
    return torch.from_numpy(out)


class MLP:
    def __init__(
        self,
        linear_1_in_features,
        linear_1_out_features,
        f_function,
        linear_2_in_features,
        linear_2_out_features,
        g_function
    ):
        self.f_function = f_function
        self.g_function = g_function
        self.parameters = dict(
            W1 = torch.randn(linear_1_out_features, linear_1_in_features),
            b1 = torch.randn(linear_1_out_features),
            W2 = torch.randn(linear_2_out_features, linear_2_in_features),
            b2 = torch.randn(linear_2_out_features),
        )
        self.grads = dict(
            dJdW1 = torch.zeros(linear_1_out_features, linear_1_in_features),
            dJdb1 = torch.zeros(linear_1_out_features),
            dJdW2 = torch.zeros(linear_2_out_features, linear_2_in_features),
            dJdb2 = torch.zeros(linear_2_out_features),
        )
        self.cache = dict()

    def forward(self, x):
        z1 = x @ self.parameters["W1"].T + self.parameters["b1"]
        a1 = act_np(self.f_function, z1)
        z2 = a1 @ self.parameters["W2"].T + self.parameters["b2"]
        self.cache = {"x": x, "z1": z1, "a1": a1, "z2": z2}
        return act_np(self.g_function, z2)

    def backward(self, dJdy_hat):
        d2 = dJdy_hat * dact_np(self.g_function, self.cache["z2"])
        d1 = (d2 @ self.parameters["W2"]) * dact_np(self.f_function, self.cache["z1"])
        self.grads["dJdW2"] = d2.T @ self.cache["a1"]
        self.grads["dJdb2"] = d2.sum(0)
        self.grads["dJdW1"] = d1.T @ self.cache["x"]
        self.grads["dJdb1"] = d1.sum(0)

    def clear_grad_and_cache(self):
        for grad in self.grads:
            self.grads[grad].zero_()
        self.cache = dict()


def mse_loss(y, y_hat):
    J = torch.mean((y - y_hat) ** 2)
    dJdy_hat = 2 * (y_hat - y) / y.numel()
    return J, dJdy_hat


def bce_loss(y, y_hat):
    J = torch.mean(-(y * torch.log(y_hat) + (1 - y) * torch.log(1 - y_hat)))
    dJdy_hat = (1 / y.numel()) * (y_hat - y) / (y_hat * (1 - y_hat))
    return J, dJdy_hat
