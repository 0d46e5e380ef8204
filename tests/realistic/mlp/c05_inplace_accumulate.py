# style: in-place everything: grads accumulated with += (zeroed by the handout's clear_grad_and_cache), clamp_, mul_ on clones
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

    def apply(self, fn, z):
        out = z.clone()
        if fn == 'relu':
            out.clamp_(min=0)
        elif fn == 'sigmoid':
            out.neg_().exp_().add_(1).reciprocal_()
        elif fn == 'identity':
            pass
        return out

    def derivative(self, fn, z, a):
        if fn == 'relu':
            return z.gt(0).float()
        elif fn == 'sigmoid':
            d = a.clone()
            d.mul_(1 - a)
            return d
        else:
            return torch.ones_like(z)

    def forward(self, x):
        """
        Args:
            x: tensor shape (batch_size, linear_1_in_features)
        """
        z1 = x.mm(self.parameters['W1'].t())
        z1 += self.parameters['b1']
        a1 = self.apply(self.f_function, z1)
        z2 = a1.mm(self.parameters['W2'].t())
        z2 += self.parameters['b2']
        a2 = self.apply(self.g_function, z2)
        self.cache['x'] = x
        self.cache['z1'], self.cache['a1'] = z1, a1
        self.cache['z2'], self.cache['a2'] = z2, a2
        return a2

    def backward(self, dJdy_hat):
        """
        Args:
            dJdy_hat: The gradient tensor of shape (batch_size, linear_2_out_features)
        """
        c = self.cache
        delta2 = dJdy_hat.clone()
        delta2.mul_(self.derivative(self.g_function, c['z2'], c['a2']))
        self.grads['dJdW2'] += delta2.t().mm(c['a1'])
        self.grads['dJdb2'] += delta2.sum(0)
        delta1 = delta2.mm(self.parameters['W2'])
        delta1.mul_(self.derivative(self.f_function, c['z1'], c['a1']))
        self.grads['dJdW1'] += delta1.t().mm(c['x'])
        self.grads['dJdb1'] += delta1.sum(0)

    def clear_grad_and_cache(self):
        for grad in self.grads:
            self.grads[grad].zero_()
        self.cache = dict()

def mse_loss(y, y_hat):
    d = y_hat - y
    J = d.pow(2).mean()
    dJdy_hat = d.mul(2).div_(d.numel())
    return J, dJdy_hat

def bce_loss(y, y_hat):
    p = y_hat.clone().clamp_(1e-7, 1 - 1e-7)
    J = -(y * p.log() + (1 - y) * (1 - p).log()).mean()
    dJdy_hat = (p - y).div_(p * (1 - p)).div_(y.numel())
    return J, dJdy_hat
