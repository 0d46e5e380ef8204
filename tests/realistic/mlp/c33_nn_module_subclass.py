# style: MLP also inherits torch.nn.Module (super().__init__()) but keeps plain tensors in the dicts; forward via __call__-free methods; where() derivatives with python scalars
# wrong: none
import torch
from torch import nn


class MLP(nn.Module):
    def __init__(self, linear_1_in_features, linear_1_out_features, f_function,
                 linear_2_in_features, linear_2_out_features, g_function):
        super().__init__()
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

    def act(self, which, z):
        if which == "relu":
            return torch.where(z > 0, z, 0.0)
        if which == "sigmoid":
            return torch.sigmoid(z)
        return z

    def dact(self, which, z):
        if which == "relu":
            return torch.where(z > 0, 1.0, 0.0)
        if which == "sigmoid":
            s = torch.sigmoid(z)
            return s * (1 - s)
        return torch.ones_like(z)

    def forward(self, x):
        self.cache["x"] = x
        self.cache["z1"] = x @ self.parameters["W1"].T + self.parameters["b1"]
        self.cache["h"] = self.act(self.f_function, self.cache["z1"])
        self.cache["z2"] = self.cache["h"] @ self.parameters["W2"].T + self.parameters["b2"]
        return self.act(self.g_function, self.cache["z2"])

    def backward(self, dJdy_hat):
        d2 = dJdy_hat * self.dact(self.g_function, self.cache["z2"])
        d1 = (d2 @ self.parameters["W2"]) * self.dact(self.f_function, self.cache["z1"])
        self.grads["dJdW2"] = d2.T @ self.cache["h"]
        self.grads["dJdb2"] = d2.sum(dim=0)
        self.grads["dJdW1"] = d1.T @ self.cache["x"]
        self.grads["dJdb1"] = d1.sum(dim=0)

    def clear_grad_and_cache(self):
        for grad in self.grads:
            self.grads[grad].zero_()
        self.cache = dict()


def mse_loss(y, y_hat):
    loss = torch.mean((y_hat - y) ** 2)
    return loss, 2 * (y_hat - y) / torch.numel(y_hat)


def bce_loss(y, y_hat):
    loss = torch.mean(-(y * torch.log(y_hat) + (1 - y) * torch.log(1 - y_hat)))
    dJdy_hat = (-y / y_hat + (1 - y) / (1 - y_hat)) / torch.numel(y_hat)
    return loss, dJdy_hat
