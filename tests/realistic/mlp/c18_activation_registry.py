# style: object-oriented: an Activation base class with subclasses registered by name, each with value() and derivative(); BCE clamps 1e-7 in the log only
# wrong: none
import torch


class Activation:
    registry = {}

    def __init_subclass__(cls, name=None, **kwargs):
        super().__init_subclass__(**kwargs)
        Activation.registry[name] = cls

    def value(self, z):
        raise NotImplementedError

    def derivative(self, z):
        raise NotImplementedError


class Relu(Activation, name="relu"):
    def value(self, z):
        return torch.relu(z)

    def derivative(self, z):
        return (z > 0).float()


class Sigmoid(Activation, name="sigmoid"):
    def value(self, z):
        return torch.sigmoid(z)

    def derivative(self, z):
        s = torch.sigmoid(z)
        return s * (1 - s)


class Identity(Activation, name="identity"):
    def value(self, z):
        return z

    def derivative(self, z):
        return torch.ones_like(z)


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
        self.f = Activation.registry[f_function]()
        self.g = Activation.registry[g_function]()

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
        W1, b1, W2, b2 = (self.parameters[k] for k in ("W1", "b1", "W2", "b2"))
        self.cache["x"] = x
        self.cache["z1"] = x.matmul(W1.T) + b1
        self.cache["a1"] = self.f.value(self.cache["z1"])
        self.cache["z2"] = self.cache["a1"].matmul(W2.T) + b2
        return self.g.value(self.cache["z2"])

    def backward(self, dJdy_hat):
        delta2 = dJdy_hat * self.g.derivative(self.cache["z2"])
        delta1 = delta2.matmul(self.parameters["W2"]) * self.f.derivative(self.cache["z1"])
        self.grads["dJdW2"] = delta2.T.matmul(self.cache["a1"])
        self.grads["dJdb2"] = delta2.sum(dim=0)
        self.grads["dJdW1"] = delta1.T.matmul(self.cache["x"])
        self.grads["dJdb1"] = delta1.sum(dim=0)

    def clear_grad_and_cache(self):
        for grad in self.grads:
            self.grads[grad].zero_()
        self.cache = dict()


def mse_loss(y, y_hat):
    return torch.mean((y_hat - y) ** 2), 2 * (y_hat - y) / y.numel()


def bce_loss(y, y_hat):
    eps = 1e-7
    J = -torch.mean(y * torch.log(y_hat.clamp(min=eps)) + (1 - y) * torch.log((1 - y_hat).clamp(min=eps)))
    dJdy_hat = ((1 - y) / (1 - y_hat) - y / y_hat) / y.numel()
    return J, dJdy_hat
