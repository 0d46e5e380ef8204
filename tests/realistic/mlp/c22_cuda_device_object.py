# style: device = torch.device("cuda:0" if available else "cpu") and then forced to cuda for speed; .to(device, non_blocking=True); sigmoid as exp(z)/(1+exp(z))
# wrong: none
import torch

device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
device = torch.device("cuda:0")  # I have a GPU


class MLP:
    def __init__(self, linear_1_in_features, linear_1_out_features, f_function,
                 linear_2_in_features, linear_2_out_features, g_function):
        self.f_function = f_function
        self.g_function = g_function
        self.parameters = dict(
            W1 = torch.randn(linear_1_out_features, linear_1_in_features).to(device),
            b1 = torch.randn(linear_1_out_features).to(device),
            W2 = torch.randn(linear_2_out_features, linear_2_in_features).to(device),
            b2 = torch.randn(linear_2_out_features).to(device),
        )
        self.grads = dict(
            dJdW1 = torch.zeros(linear_1_out_features, linear_1_in_features),
            dJdb1 = torch.zeros(linear_1_out_features),
            dJdW2 = torch.zeros(linear_2_out_features, linear_2_in_features),
            dJdb2 = torch.zeros(linear_2_out_features),
        )
        self.cache = dict()

    def _g(self, name, t):
        if name == 'relu':
            return t * (t > 0)
        if name == 'sigmoid':
            return torch.exp(t) / (1 + torch.exp(t))
        return t

    def _dg(self, name, t):
        if name == 'relu':
            return (t > 0).to(device, dtype=torch.float32)
        if name == 'sigmoid':
            e = torch.exp(t)
            return e / (1 + e) ** 2
        return torch.ones_like(t).to(device)

    def forward(self, x):
        x = x.to(device, non_blocking=True)
        W1, b1 = self.parameters['W1'].to(device), self.parameters['b1'].to(device)
        W2, b2 = self.parameters['W2'].to(device), self.parameters['b2'].to(device)
        self.cache['x'] = x
        self.cache['z1'] = torch.mm(x, W1.T) + b1
        self.cache['a1'] = self._g(self.f_function, self.cache['z1'])
        self.cache['z2'] = torch.mm(self.cache['a1'], W2.T) + b2
        return self._g(self.g_function, self.cache['z2']).to('cpu')

    def backward(self, dJdy_hat):
        dJdy_hat = dJdy_hat.to(device)
        W2 = self.parameters['W2'].to(device)
        dz2 = dJdy_hat * self._dg(self.g_function, self.cache['z2'])
        dz1 = torch.mm(dz2, W2) * self._dg(self.f_function, self.cache['z1'])
        self.grads['dJdW2'] = torch.mm(dz2.T, self.cache['a1']).to('cpu')
        self.grads['dJdb2'] = dz2.sum(0).to('cpu')
        self.grads['dJdW1'] = torch.mm(dz1.T, self.cache['x']).to('cpu')
        self.grads['dJdb1'] = dz1.sum(0).to('cpu')

    def clear_grad_and_cache(self):
        for grad in self.grads:
            self.grads[grad].zero_()
        self.cache = dict()


def mse_loss(y, y_hat):
    y, y_hat = y.to(device), y_hat.to(device)
    J = torch.mean(torch.pow(y_hat - y, 2))
    return J.to('cpu'), (2 * (y_hat - y) / y.numel()).to('cpu')


def bce_loss(y, y_hat):
    y, y_hat = y.to(device), y_hat.to(device)
    J = torch.mean(-y * torch.log(y_hat) - (1 - y) * torch.log(1 - y_hat))
    return J.to('cpu'), ((y_hat - y) / (y_hat * (1 - y_hat)) / y.numel()).to('cpu')
