# style: einsum everywhere, activations and derivatives in dicts of lambdas (identity included)
# wrong: none
import torch

ACT = {
    'relu': lambda z: z * (z > 0),
    'sigmoid': lambda z: torch.sigmoid(z),
    'identity': lambda z: z,
}
DACT = {
    'relu': lambda z, a: (z > 0).to(z.dtype),
    'sigmoid': lambda z, a: a * (1 - a),
    'identity': lambda z, a: torch.ones_like(z),
}


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
        p = self.parameters
        z1 = torch.einsum('bi,oi->bo', x, p['W1']) + p['b1']
        a1 = ACT[self.f_function](z1)
        z2 = torch.einsum('bi,oi->bo', a1, p['W2']) + p['b2']
        a2 = ACT[self.g_function](z2)
        self.cache = {'x': x, 'z1': z1, 'a1': a1, 'z2': z2, 'a2': a2}
        return a2

    def backward(self, dJdy_hat):
        c = self.cache
        d2 = dJdy_hat * DACT[self.g_function](c['z2'], c['a2'])
        self.grads['dJdW2'] = torch.einsum('bo,bi->oi', d2, c['a1'])
        self.grads['dJdb2'] = torch.einsum('bo->o', d2)
        d1 = torch.einsum('bo,oi->bi', d2, self.parameters['W2']) * DACT[self.f_function](c['z1'], c['a1'])
        self.grads['dJdW1'] = torch.einsum('bo,bi->oi', d1, c['x'])
        self.grads['dJdb1'] = torch.einsum('bo->o', d1)

    def clear_grad_and_cache(self):
        for grad in self.grads:
            self.grads[grad].zero_()
        self.cache = dict()


def mse_loss(y, y_hat):
    r = y_hat - y
    J = torch.einsum('bk,bk->', r, r) / r.numel()
    return J, 2 * r / r.numel()


def bce_loss(y, y_hat):
    eps = 1e-12
    J = -torch.mean(y * torch.log(y_hat + eps) + (1 - y) * torch.log(1 - y_hat + eps))
    dJdy_hat = (y_hat - y) / (y_hat - y_hat * y_hat) / y.numel()
    return J, dJdy_hat
