# style: a Python loop over the samples, torch.outer per sample, gradients summed by hand; squeeze avoided (view/unsqueeze only)
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

        # put all the cache value you need in self.cache
        self.cache = dict()

    def _activate(self, fn, v):
        if fn == 'relu':
            return torch.relu(v)
        if fn == 'sigmoid':
            return torch.sigmoid(v)
        return v.clone()

    def _deriv(self, fn, v):
        if fn == 'relu':
            return (v > 0).float()
        if fn == 'sigmoid':
            s = torch.sigmoid(v)
            return s - s * s
        return torch.ones_like(v)

    def forward(self, x):
        W1, b1, W2, b2 = self.parameters['W1'], self.parameters['b1'], self.parameters['W2'], self.parameters['b2']
        outs = []
        self.cache['samples'] = []
        for i in range(x.shape[0]):
            xi = x[i]
            z1 = W1 @ xi + b1
            a1 = self._activate(self.f_function, z1)
            z2 = W2 @ a1 + b2
            a2 = self._activate(self.g_function, z2)
            self.cache['samples'].append((xi, z1, a1, z2))
            outs.append(a2.view(1, -1))
        return torch.cat(outs, dim=0)

    def backward(self, dJdy_hat):
        W2 = self.parameters['W2']
        dW1 = torch.zeros_like(self.parameters['W1'])
        db1 = torch.zeros_like(self.parameters['b1'])
        dW2 = torch.zeros_like(W2)
        db2 = torch.zeros_like(self.parameters['b2'])
        for i, (xi, z1, a1, z2) in enumerate(self.cache['samples']):
            d2 = dJdy_hat[i] * self._deriv(self.g_function, z2)
            dW2 += torch.outer(d2, a1)
            db2 += d2
            d1 = (W2.T @ d2) * self._deriv(self.f_function, z1)
            dW1 += torch.outer(d1, xi)
            db1 += d1
        self.grads['dJdW1'] = dW1
        self.grads['dJdb1'] = db1
        self.grads['dJdW2'] = dW2
        self.grads['dJdb2'] = db2

    def clear_grad_and_cache(self):
        for grad in self.grads:
            self.grads[grad].zero_()
        self.cache = dict()

def mse_loss(y, y_hat):
    n = y.size(0) * y.size(1)
    loss = torch.sum((y - y_hat) ** 2) / n
    return loss, (2 / n) * (y_hat - y)

def bce_loss(y, y_hat):
    n = y.size(0) * y.size(1)
    loss = -torch.sum(y * torch.log(y_hat) + (1 - y) * torch.log(1 - y_hat)) / n
    dJdy_hat = (1 / n) * (-y / y_hat + (1 - y) / (1 - y_hat))
    return loss, dJdy_hat
