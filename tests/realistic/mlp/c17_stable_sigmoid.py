# style: numerically careful: sigmoid via torch.where on the sign of z, relu via torch.maximum with a 0 tensor, BCE logs clamped at 1e-12
# wrong: none
import torch

ZERO = torch.tensor(0.0)


def stable_sigmoid(z):
    pos = 1.0 / (1.0 + torch.exp(-z.clamp(min=0)))
    ez = torch.exp(z.clamp(max=0))
    neg = ez / (1.0 + ez)
    return torch.where(z >= 0, pos, neg)


class MLP:
    def __init__(self, linear_1_in_features, linear_1_out_features, f_function,
                 linear_2_in_features, linear_2_out_features, g_function):
        assert f_function in ("relu", "sigmoid", "identity")
        assert g_function in ("relu", "sigmoid", "identity")
        self.f_function = f_function
        self.g_function = g_function
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

    def _forward_act(self, which, z):
        if which == "relu":
            return torch.maximum(z, ZERO)
        if which == "sigmoid":
            return stable_sigmoid(z)
        return z

    def _backward_act(self, which, z, upstream):
        if which == "relu":
            return torch.where(z > 0, upstream, torch.zeros_like(upstream))
        if which == "sigmoid":
            s = stable_sigmoid(z)
            return upstream * s * (1.0 - s)
        return upstream

    def forward(self, x):
        c = self.cache
        c["in"] = x
        c["pre1"] = x @ self.parameters["W1"].T + self.parameters["b1"]
        c["post1"] = self._forward_act(self.f_function, c["pre1"])
        c["pre2"] = c["post1"] @ self.parameters["W2"].T + self.parameters["b2"]
        return self._forward_act(self.g_function, c["pre2"])

    def backward(self, dJdy_hat):
        c = self.cache
        g_pre2 = self._backward_act(self.g_function, c["pre2"], dJdy_hat)
        g_post1 = g_pre2 @ self.parameters["W2"]
        g_pre1 = self._backward_act(self.f_function, c["pre1"], g_post1)
        self.grads["dJdW2"] = g_pre2.T @ c["post1"]
        self.grads["dJdb2"] = g_pre2.sum(0)
        self.grads["dJdW1"] = g_pre1.T @ c["in"]
        self.grads["dJdb1"] = g_pre1.sum(0)

    def clear_grad_and_cache(self):
        for grad in self.grads:
            self.grads[grad].zero_()
        self.cache = dict()


def mse_loss(y, y_hat):
    n = y.numel()
    err = y_hat - y
    return err.square().sum() / n, err * 2 / n


def bce_loss(y, y_hat):
    n = y.numel()
    log_p = torch.log(torch.clamp(y_hat, min=1e-12))
    log_1mp = torch.log(torch.clamp(1 - y_hat, min=1e-12))
    J = -(y * log_p + (1 - y) * log_1mp).sum() / n
    dJdy_hat = (-y / y_hat + (1 - y) / (1 - y_hat)) / n
    return J, dJdy_hat
