# style: batched Jacobians with torch.diag_embed contracted by einsum ('bi,bij->bj'), weight gradients by einsum outer products
# wrong: none
import torch


def act(name, z):
    if name == 'relu':
        return torch.relu(z)
    if name == 'sigmoid':
        return torch.sigmoid(z)
    if name == 'identity':
        return z
    raise ValueError(name)


def act_jacobian(name, z):
    if name == 'relu':
        d = (z > 0).float()
    elif name == 'sigmoid':
        d = torch.sigmoid(z) * (1 - torch.sigmoid(z))
    elif name == 'identity':
        d = torch.ones_like(z)
    else:
        raise ValueError(name)
    return torch.diag_embed(d)  # (B, d, d)


class MLP:
    def __init__(self, linear_1_in_features, linear_1_out_features, f_function,
                 linear_2_in_features, linear_2_out_features, g_function):
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
        z1 = torch.einsum('ij,bj->bi', self.parameters['W1'], x) + self.parameters['b1']
        a1 = act(self.f_function, z1)
        z2 = torch.einsum('ij,bj->bi', self.parameters['W2'], a1) + self.parameters['b2']
        self.cache = {'x': x, 'z1': z1, 'a1': a1, 'z2': z2}
        return act(self.g_function, z2)

    def backward(self, dJdy_hat):
        c = self.cache
        dJdz2 = torch.einsum('bi,bij->bj', dJdy_hat, act_jacobian(self.g_function, c['z2']))
        dJda1 = torch.einsum('bi,ij->bj', dJdz2, self.parameters['W2'])
        dJdz1 = torch.einsum('bi,bij->bj', dJda1, act_jacobian(self.f_function, c['z1']))
        self.grads['dJdW2'] = torch.einsum('bi,bj->ij', dJdz2, c['a1'])
        self.grads['dJdb2'] = torch.einsum('bi->i', dJdz2)
        self.grads['dJdW1'] = torch.einsum('bi,bj->ij', dJdz1, c['x'])
        self.grads['dJdb1'] = torch.einsum('bi->i', dJdz1)

    def clear_grad_and_cache(self):
        for grad in self.grads:
            self.grads[grad].zero_()
        self.cache = dict()


def mse_loss(y, y_hat):
    n = y.numel()
    return torch.einsum('ij,ij->', y_hat - y, y_hat - y) / n, 2 * (y_hat - y) / n


def bce_loss(y, y_hat):
    n = y.numel()
    J = -(y * torch.log(y_hat) + (1 - y) * torch.log(1 - y_hat)).sum() / n
    return J, ((1 - y) / (1 - y_hat) - y / y_hat) / n
