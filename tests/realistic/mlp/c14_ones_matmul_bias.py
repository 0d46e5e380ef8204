# style: textbook linear algebra: bias gradient as ones @ delta, torch.matmul and W.t(), activation derivative via torch.heaviside / sigmoid from cache
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

    def sigma(self, fn, z):
        return {'relu': torch.relu, 'sigmoid': torch.sigmoid, 'identity': lambda t: t}[fn](z)

    def dsigma(self, fn, z, a):
        if fn == 'relu':
            return torch.heaviside(z, torch.zeros(1))
        if fn == 'sigmoid':
            return a * (1 - a)
        return torch.ones_like(z)

    def forward(self, x):
        z1 = torch.matmul(x, self.parameters['W1'].t()) + self.parameters['b1']
        z2 = self.sigma(self.f_function, z1)
        z3 = torch.matmul(z2, self.parameters['W2'].t()) + self.parameters['b2']
        y_hat = self.sigma(self.g_function, z3)
        self.cache = {'x': x, 'z1': z1, 'z2': z2, 'z3': z3, 'y_hat': y_hat}
        return y_hat

    def backward(self, dJdy_hat):
        c = self.cache
        ones = torch.ones(c['x'].shape[0])
        dJdz3 = dJdy_hat * self.dsigma(self.g_function, c['z3'], c['y_hat'])
        dJdz1 = torch.matmul(dJdz3, self.parameters['W2']) * self.dsigma(self.f_function, c['z1'], c['z2'])
        self.grads['dJdW2'] = torch.matmul(dJdz3.t(), c['z2'])
        self.grads['dJdb2'] = torch.matmul(ones, dJdz3)
        self.grads['dJdW1'] = torch.matmul(dJdz1.t(), c['x'])
        self.grads['dJdb1'] = torch.matmul(ones, dJdz1)

    def clear_grad_and_cache(self):
        for grad in self.grads:
            self.grads[grad].zero_()
        self.cache = dict()

def mse_loss(y, y_hat):
    loss = torch.nn.functional.mse_loss(y_hat, y, reduction='mean')
    dJdy_hat = 2 * (y_hat - y) / y_hat.nelement()
    return loss, dJdy_hat

def bce_loss(y, y_hat):
    loss = torch.nn.functional.binary_cross_entropy(y_hat, y)
    dJdy_hat = (y_hat - y) / (y_hat * (1 - y_hat)) / y_hat.nelement()
    return loss, dJdy_hat
