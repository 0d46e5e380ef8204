# style: defensive: .detach().clone() on everything cached, inputs never touched, grads stored as clones; bias gradient via torch.sum(..., dim=0)
# wrong: none
import torch

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

    @staticmethod
    def _apply(name, z):
        if name == "relu":
            return torch.relu(z)
        elif name == "sigmoid":
            return torch.sigmoid(z)
        elif name == "identity":
            return z.clone()
        raise ValueError(name)

    @staticmethod
    def _derivative(name, z):
        if name == "relu":
            return (z > 0).float()
        elif name == "sigmoid":
            s = torch.sigmoid(z)
            return s * (1.0 - s)
        elif name == "identity":
            return torch.ones_like(z)
        raise ValueError(name)

    def forward(self, x):
        x = x.detach().clone()
        W1 = self.parameters["W1"].detach().clone()
        W2 = self.parameters["W2"].detach().clone()
        z1 = x @ W1.T + self.parameters["b1"].detach()
        a1 = self._apply(self.f_function, z1)
        z2 = a1 @ W2.T + self.parameters["b2"].detach()
        y_hat = self._apply(self.g_function, z2)
        self.cache["x"] = x
        self.cache["z1"] = z1.detach().clone()
        self.cache["a1"] = a1.detach().clone()
        self.cache["z2"] = z2.detach().clone()
        return y_hat

    def backward(self, dJdy_hat):
        upstream = dJdy_hat.detach().clone()
        delta2 = upstream * self._derivative(self.g_function, self.cache["z2"])
        delta1 = (delta2 @ self.parameters["W2"].detach()) * self._derivative(self.f_function, self.cache["z1"])
        self.grads["dJdW2"] = (delta2.T @ self.cache["a1"]).clone()
        self.grads["dJdb2"] = torch.sum(delta2, dim=0).clone()
        self.grads["dJdW1"] = (delta1.T @ self.cache["x"]).clone()
        self.grads["dJdb1"] = torch.sum(delta1, dim=0).clone()

    def clear_grad_and_cache(self):
        for grad in self.grads:
            self.grads[grad].zero_()
        self.cache = dict()

def mse_loss(y, y_hat):
    diff = (y_hat - y).detach()
    return diff.pow(2).mean(), 2.0 * diff / diff.numel()

def bce_loss(y, y_hat):
    p = y_hat.detach()
    t = y.detach()
    J = -(t * torch.log(p) + (1 - t) * torch.log(1 - p)).mean()
    return J, (p - t) / (p * (1 - p) * t.numel())
