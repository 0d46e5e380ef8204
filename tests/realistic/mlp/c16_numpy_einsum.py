# style: numpy end to end with np.einsum; tensors in, torch.tensor(...) (float64) out
# wrong: none
import numpy as np
import torch


class MLP:
    def __init__(self, linear_1_in_features, linear_1_out_features, f_function, linear_2_in_features, linear_2_out_features, g_function):
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

    def nonlin(self, kind, z, deriv=False):
        if kind == 'relu':
            return (z > 0) * 1.0 if deriv else z * (z > 0)
        if kind == 'sigmoid':
            s = 1 / (1 + np.exp(-z))
            return s * (1 - s) if deriv else s
        if kind == 'identity':
            return np.ones_like(z) if deriv else z
        raise ValueError(kind)

    def forward(self, x):
        P = {k: v.numpy() for k, v in self.parameters.items()}
        X = x.numpy()
        Z1 = np.einsum('ij,kj->ik', X, P['W1']) + P['b1']
        A1 = self.nonlin(self.f_function, Z1)
        Z2 = np.einsum('ij,kj->ik', A1, P['W2']) + P['b2']
        self.cache.update(X=X, Z1=Z1, A1=A1, Z2=Z2)
        return torch.tensor(self.nonlin(self.g_function, Z2))

    def backward(self, dJdy_hat):
        c = self.cache
        G = dJdy_hat.numpy()
        D2 = G * self.nonlin(self.g_function, c['Z2'], deriv=True)
        D1 = np.einsum('ik,kj->ij', D2, self.parameters['W2'].numpy()) * self.nonlin(self.f_function, c['Z1'], deriv=True)
        self.grads['dJdW2'] = torch.tensor(np.einsum('ik,ij->kj', D2, c['A1']))
        self.grads['dJdb2'] = torch.tensor(D2.sum(axis=0))
        self.grads['dJdW1'] = torch.tensor(np.einsum('ik,ij->kj', D1, c['X']))
        self.grads['dJdb1'] = torch.tensor(D1.sum(axis=0))

    def clear_grad_and_cache(self):
        for grad in self.grads:
            self.grads[grad].zero_()
        self.cache = dict()


def mse_loss(y, y_hat):
    Y, Yh = y.numpy().astype(np.float64), y_hat.numpy().astype(np.float64)
    return torch.tensor(np.mean((Yh - Y) ** 2)), torch.tensor(2 * (Yh - Y) / Y.size)


def bce_loss(y, y_hat):
    Y, Yh = y.numpy().astype(np.float64), y_hat.numpy().astype(np.float64)
    J = np.mean(-Y * np.log(Yh) - (1 - Y) * np.log(1 - Yh))
    return torch.tensor(J), torch.tensor((Yh - Y) / (Yh * (1 - Yh)) / Y.size)
