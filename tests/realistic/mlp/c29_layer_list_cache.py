# style: forward keeps a list of every layer's output in self.cache['outs'] and walks it backwards; xlogy in BCE; torch.Tensor methods (.matmul, .t)
# wrong: none
import torch


class MLP:
    def __init__(self, linear_1_in_features, linear_1_out_features, f_function,
                 linear_2_in_features, linear_2_out_features, g_function):
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

    def _act(self, name, z):
        return {"relu": lambda: z.relu(), "sigmoid": lambda: z.sigmoid(), "identity": lambda: z}[name]()

    def _dact(self, name, z, out):
        if name == "relu":
            return (z > 0).to(z.dtype)
        if name == "sigmoid":
            return out * (1 - out)
        return torch.ones_like(z)

    def forward(self, x):
        outs = [x]
        outs.append(outs[-1].matmul(self.parameters["W1"].t()) + self.parameters["b1"])
        outs.append(self._act(self.f_function, outs[-1]))
        outs.append(outs[-1].matmul(self.parameters["W2"].t()) + self.parameters["b2"])
        outs.append(self._act(self.g_function, outs[-1]))
        self.cache["outs"] = outs
        return outs[-1]

    def backward(self, dJdy_hat):
        x, z1, a1, z2, y_hat = self.cache["outs"]
        grad = dJdy_hat * self._dact(self.g_function, z2, y_hat)
        self.grads["dJdW2"] = grad.t().matmul(a1)
        self.grads["dJdb2"] = grad.sum(0)
        grad = grad.matmul(self.parameters["W2"]) * self._dact(self.f_function, z1, a1)
        self.grads["dJdW1"] = grad.t().matmul(x)
        self.grads["dJdb1"] = grad.sum(0)

    def clear_grad_and_cache(self):
        for grad in self.grads:
            self.grads[grad].zero_()
        self.cache = dict()


def mse_loss(y, y_hat):
    J = (y_hat - y).pow(2).sum() / y.numel()
    return J, (y_hat - y).mul(2).div(y.numel())


def bce_loss(y, y_hat):
    J = -(torch.xlogy(y, y_hat) + torch.xlogy(1 - y, 1 - y_hat)).mean()
    dJdy_hat = ((1 - y) / (1 - y_hat) - y / y_hat) / y.numel()
    return J, dJdy_hat
