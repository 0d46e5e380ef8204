# style: activations chosen once in __init__ as lambdas (self.f / self.df), values cached in attributes (self.z1, self.h) rather than self.cache
# wrong: none
import torch


class MLP:
    def __init__(self, linear_1_in_features, linear_1_out_features, f_function,
                 linear_2_in_features, linear_2_out_features, g_function):
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
        self.f, self.df = self.pick(f_function)
        self.g, self.dg = self.pick(g_function)

    @staticmethod
    def pick(name):
        if name == "relu":
            return (lambda z: z.clamp(min=0.0)), (lambda z: (z > 0).type(z.dtype))
        if name == "sigmoid":
            sig = lambda z: 1.0 / (1.0 + torch.exp(-z))
            return sig, (lambda z: sig(z) * (1.0 - sig(z)))
        if name == "identity":
            return (lambda z: z), (lambda z: torch.ones_like(z))
        raise ValueError(f"unknown function {name}")

    def forward(self, x):
        self.x = x
        self.z1 = torch.matmul(x, self.parameters["W1"].transpose(0, 1)) + self.parameters["b1"]
        self.h = self.f(self.z1)
        self.z2 = torch.matmul(self.h, self.parameters["W2"].transpose(0, 1)) + self.parameters["b2"]
        return self.g(self.z2)

    def backward(self, dJdy_hat):
        dz2 = dJdy_hat * self.dg(self.z2)
        dh = torch.matmul(dz2, self.parameters["W2"])
        dz1 = dh * self.df(self.z1)
        self.grads["dJdW2"] = torch.matmul(dz2.transpose(0, 1), self.h)
        self.grads["dJdb2"] = dz2.sum(axis=0)
        self.grads["dJdW1"] = torch.matmul(dz1.transpose(0, 1), self.x)
        self.grads["dJdb1"] = dz1.sum(axis=0)

    def clear_grad_and_cache(self):
        for grad in self.grads:
            self.grads[grad].zero_()
        self.cache = dict()


def mse_loss(y, y_hat):
    batch, k = y.shape
    J = ((y_hat - y) ** 2).sum() / (batch * k)
    dJdy_hat = 2 * (y_hat - y) / (batch * k)
    return J, dJdy_hat


def bce_loss(y, y_hat):
    batch, k = y.shape
    J = -(y * torch.log(y_hat) + (1 - y) * torch.log(1 - y_hat)).sum() / (batch * k)
    dJdy_hat = (y_hat - y) / (y_hat * (1 - y_hat) * batch * k)
    return J, dJdy_hat
