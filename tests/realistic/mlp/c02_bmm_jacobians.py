# style: explicit Jacobians: diag_embed for the activations, per-sample vector-Jacobian products with torch.bmm
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

    @staticmethod
    def _act(name, z):
        if name == "relu":
            return torch.clamp(z, min=0)
        if name == "sigmoid":
            return 1 / (1 + torch.exp(-z))
        if name == "identity":
            return z
        raise NotImplementedError(name)

    @staticmethod
    def _jacobian(name, z):
        """Jacobian of an elementwise activation: (batch, d, d) diagonal matrices."""
        if name == "relu":
            d = torch.where(z > 0, torch.ones_like(z), torch.zeros_like(z))
        elif name == "sigmoid":
            s = 1 / (1 + torch.exp(-z))
            d = s * (1 - s)
        elif name == "identity":
            d = torch.ones_like(z)
        else:
            raise NotImplementedError(name)
        return torch.diag_embed(d)

    def forward(self, x):
        W1, b1 = self.parameters["W1"], self.parameters["b1"]
        W2, b2 = self.parameters["W2"], self.parameters["b2"]
        s1 = torch.matmul(x, W1.t()) + b1
        a1 = self._act(self.f_function, s1)
        s2 = torch.matmul(a1, W2.t()) + b2
        y_hat = self._act(self.g_function, s2)
        self.cache.update(x=x, s1=s1, a1=a1, s2=s2)
        return y_hat

    def backward(self, dJdy_hat):
        x, s1, a1, s2 = (self.cache[k] for k in ("x", "s1", "a1", "s2"))
        W2 = self.parameters["W2"]
        B = x.shape[0]
        # row vectors (B, 1, K)
        v = dJdy_hat.unsqueeze(1)
        dJds2 = torch.bmm(v, self._jacobian(self.g_function, s2))          # (B,1,K)
        dJda1 = torch.bmm(dJds2, W2.unsqueeze(0).expand(B, -1, -1))       # (B,1,h)
        dJds1 = torch.bmm(dJda1, self._jacobian(self.f_function, s1))     # (B,1,h)
        # outer products per sample, summed over the batch
        self.grads["dJdW2"] = torch.bmm(dJds2.transpose(1, 2), a1.unsqueeze(1)).sum(0)
        self.grads["dJdb2"] = dJds2.sum(dim=(0, 1))
        self.grads["dJdW1"] = torch.bmm(dJds1.transpose(1, 2), x.unsqueeze(1)).sum(0)
        self.grads["dJdb1"] = dJds1.sum(dim=(0, 1))

    def clear_grad_and_cache(self):
        for grad in self.grads:
            self.grads[grad].zero_()
        self.cache = dict()


def mse_loss(y, y_hat):
    n = y.shape[0] * y.shape[1]
    J = torch.sum((y_hat - y) ** 2) / n
    dJdy_hat = 2.0 / n * (y_hat - y)
    return J, dJdy_hat


def bce_loss(y, y_hat):
    n = y.numel()
    J = -torch.sum(y * torch.log(y_hat) + (1 - y) * torch.log(1 - y_hat)) / n
    dJdy_hat = (y_hat - y) / (y_hat * (1 - y_hat)) / n
    return J, dJdy_hat
