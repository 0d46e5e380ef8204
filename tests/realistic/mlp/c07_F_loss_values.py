# style: torch.nn.functional losses for the VALUE of J only (F.mse_loss, F.binary_cross_entropy), dJdy_hat by hand; F.relu in forward
# wrong: none
import torch
import torch.nn.functional as F

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

    def _fn(self, kind, z):
        if kind == "relu":
            return F.relu(z)
        elif kind == "sigmoid":
            return torch.sigmoid(z)
        elif kind == "identity":
            return z
        raise ValueError("unknown activation " + kind)

    def _dfn(self, kind, z):
        if kind == "relu":
            return torch.heaviside(z, torch.tensor(0.0))
        elif kind == "sigmoid":
            return torch.sigmoid(z) * (1 - torch.sigmoid(z))
        elif kind == "identity":
            return torch.ones(z.shape)
        raise ValueError("unknown activation " + kind)

    def forward(self, x):
        """
        Args:
            x: tensor shape (batch_size, linear_1_in_features)
        """
        W1 = self.parameters["W1"]; b1 = self.parameters["b1"]
        W2 = self.parameters["W2"]; b2 = self.parameters["b2"]
        self.cache["x"] = x
        self.cache["s1"] = F.linear(x, W1, b1)
        self.cache["a1"] = self._fn(self.f_function, self.cache["s1"])
        self.cache["s2"] = F.linear(self.cache["a1"], W2, b2)
        return self._fn(self.g_function, self.cache["s2"])

    def backward(self, dJdy_hat):
        """
        Args:
            dJdy_hat: The gradient tensor of shape (batch_size, linear_2_out_features)
        """
        ds2 = dJdy_hat * self._dfn(self.g_function, self.cache["s2"])
        da1 = torch.matmul(ds2, self.parameters["W2"])
        ds1 = da1 * self._dfn(self.f_function, self.cache["s1"])
        self.grads["dJdW2"] = torch.matmul(ds2.T, self.cache["a1"])
        self.grads["dJdb2"] = torch.sum(ds2, 0)
        self.grads["dJdW1"] = torch.matmul(ds1.T, self.cache["x"])
        self.grads["dJdb1"] = torch.sum(ds1, 0)


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
    J = F.mse_loss(y_hat, y)
    dJdy_hat = 2 * (y_hat - y) / y.numel()
    return J, dJdy_hat

def bce_loss(y, y_hat):
    """
    Args:
        y_hat: the prediction tensor
        y: the label tensor

    Return:
        loss: scalar of loss
        dJdy_hat: The gradient tensor of shape (batch_size, linear_2_out_features)
    """
    J = F.binary_cross_entropy(y_hat, y)
    dJdy_hat = -(y / y_hat - (1 - y) / (1 - y_hat)) / y.numel()
    return J, dJdy_hat
