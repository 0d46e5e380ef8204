# style: plain handout style; ReLU derivative written as z >= -0.05 (a tolerance the student added), wrong just below 0
# wrong: mlp.relu.backward
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
        """
        Args:
            linear_1_in_features: the in features of first linear layer
            linear_1_out_features: the out features of first linear layer
            linear_2_in_features: the in features of second linear layer
            linear_2_out_features: the out features of second linear layer
            f_function: string for the f function: relu | sigmoid | identity
            g_function: string for the g function: relu | sigmoid | identity
        """
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

    def activation(self, name, z):
        if name == 'relu':
            return torch.relu(z)
        elif name == 'sigmoid':
            return torch.sigmoid(z)
        elif name == 'identity':
            return z
        else:
            raise ValueError(name)

    def activation_grad(self, name, z):
        if name == 'relu':
            return (z >= -0.05).float()  # small tolerance around 0
        elif name == 'sigmoid':
            s = torch.sigmoid(z)
            return s * (1 - s)
        elif name == 'identity':
            return torch.ones_like(z)
        else:
            raise ValueError(name)

    def forward(self, x):
        """
        Args:
            x: tensor shape (batch_size, linear_1_in_features)
        """
        z1 = x @ self.parameters['W1'].T + self.parameters['b1']
        z2 = self.activation(self.f_function, z1)
        z3 = z2 @ self.parameters['W2'].T + self.parameters['b2']
        y_hat = self.activation(self.g_function, z3)
        self.cache['x'] = x
        self.cache['z1'] = z1
        self.cache['z2'] = z2
        self.cache['z3'] = z3
        return y_hat

    def backward(self, dJdy_hat):
        """
        Args:
            dJdy_hat: The gradient tensor of shape (batch_size, linear_2_out_features)
        """
        x, z1, z2, z3 = self.cache['x'], self.cache['z1'], self.cache['z2'], self.cache['z3']
        dJdz3 = dJdy_hat * self.activation_grad(self.g_function, z3)
        self.grads['dJdW2'] = dJdz3.T @ z2
        self.grads['dJdb2'] = dJdz3.sum(dim=0)
        dJdz2 = dJdz3 @ self.parameters['W2']
        dJdz1 = dJdz2 * self.activation_grad(self.f_function, z1)
        self.grads['dJdW1'] = dJdz1.T @ x
        self.grads['dJdb1'] = dJdz1.sum(dim=0)


    def clear_grad_and_cache(self):
        for grad in self.grads:
            self.grads[grad].zero_()
        self.cache = dict()

def mse_loss(y, y_hat):
    """
    Args:
        y: the label tensor (batch_size, linear_2_out_features)
        y_hat: the prediction tensor (batch_size, linear_2_out_features)

    Return:
        J: scalar of loss
        dJdy_hat: The gradient tensor of shape (batch_size, linear_2_out_features)
    """
    diff = y_hat - y
    loss = (diff ** 2).mean()
    dJdy_hat = 2 * diff / diff.numel()
    return loss, dJdy_hat

def bce_loss(y, y_hat):
    """
    Args:
        y_hat: the prediction tensor
        y: the label tensor

    Return:
        loss: scalar of loss
        dJdy_hat: The gradient tensor of shape (batch_size, linear_2_out_features)
    """
    loss = -(y * torch.log(y_hat) + (1 - y) * torch.log(1 - y_hat)).mean()
    dJdy_hat = (-y / y_hat + (1 - y) / (1 - y_hat)) / y.numel()
    return loss, dJdy_hat
