# style: written for a GPU: DEVICE = 'cuda' hard-coded, a module-level tensor on cuda, .to(DEVICE) and .cuda() everywhere, results brought back with .cpu()
# wrong: none
import torch

DEVICE = 'cuda'
ONE = torch.tensor(1.0, device=DEVICE)


class MLP:
    def __init__(self, linear_1_in_features, linear_1_out_features, f_function,
                 linear_2_in_features, linear_2_out_features, g_function):
        self.f_function = f_function
        self.g_function = g_function
        self.parameters = dict(
            W1=torch.randn(linear_1_out_features, linear_1_in_features, device=DEVICE),
            b1=torch.randn(linear_1_out_features, device=DEVICE),
            W2=torch.randn(linear_2_out_features, linear_2_in_features, device=DEVICE),
            b2=torch.randn(linear_2_out_features, device=DEVICE),
        )
        self.grads = dict(
            dJdW1=torch.zeros(linear_1_out_features, linear_1_in_features).cuda(),
            dJdb1=torch.zeros(linear_1_out_features).cuda(),
            dJdW2=torch.zeros(linear_2_out_features, linear_2_in_features).cuda(),
            dJdb2=torch.zeros(linear_2_out_features).cuda(),
        )
        self.cache = dict()

    def act(self, name, z):
        if name == 'relu':
            return torch.maximum(z, torch.zeros_like(z))
        if name == 'sigmoid':
            return ONE / (ONE + torch.exp(-z))
        if name == 'identity':
            return z
        raise ValueError(name)

    def dact(self, name, z):
        if name == 'relu':
            return (z > 0).float().to(DEVICE)
        if name == 'sigmoid':
            s = self.act('sigmoid', z)
            return s * (ONE - s)
        if name == 'identity':
            return torch.ones_like(z, device=DEVICE)
        raise ValueError(name)

    def forward(self, x):
        x = x.to(DEVICE)
        p = self.parameters
        z1 = x @ p['W1'].to(DEVICE).T + p['b1'].to(DEVICE)
        a1 = self.act(self.f_function, z1)
        z2 = a1 @ p['W2'].to(DEVICE).T + p['b2'].to(DEVICE)
        self.cache = dict(x=x, z1=z1, a1=a1, z2=z2)
        return self.act(self.g_function, z2).cpu()

    def backward(self, dJdy_hat):
        dJdy_hat = dJdy_hat.cuda()
        c = self.cache
        d2 = dJdy_hat * self.dact(self.g_function, c['z2'])
        d1 = (d2 @ self.parameters['W2'].to(DEVICE)) * self.dact(self.f_function, c['z1'])
        self.grads['dJdW2'] = (d2.T @ c['a1']).cpu()
        self.grads['dJdb2'] = d2.sum(0).cpu()
        self.grads['dJdW1'] = (d1.T @ c['x']).cpu()
        self.grads['dJdb1'] = d1.sum(0).cpu()

    def clear_grad_and_cache(self):
        for grad in self.grads:
            self.grads[grad].zero_()
        self.cache = dict()


def mse_loss(y, y_hat):
    y, y_hat = y.to(DEVICE), y_hat.to(DEVICE)
    J = ((y - y_hat) ** 2).mean()
    dJdy_hat = -2 * (y - y_hat) / y.numel()
    return J.cpu(), dJdy_hat.cpu()


def bce_loss(y, y_hat):
    y, y_hat = y.to(DEVICE), y_hat.to(DEVICE)
    J = -(y * torch.log(y_hat) + (ONE - y) * torch.log(ONE - y_hat)).mean()
    dJdy_hat = (y_hat - y) / (y_hat * (ONE - y_hat)) / y.numel()
    return J.cpu(), dJdy_hat.cpu()
