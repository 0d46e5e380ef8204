# style: the homework's matrix formulas literally: per sample, torch.diag Jacobians, row vectors dJ/dz = dJ/dy * dy/dz * W * diag(f'), W gradients as outer products
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

    def act(self, fn, z):
        if fn == "relu":
            return torch.relu(z)
        elif fn == "sigmoid":
            return torch.sigmoid(z)
        return z

    def jac(self, fn, z):
        # z is a vector, returns the diagonal Jacobian matrix
        if fn == "relu":
            return torch.diag((z > 0).float())
        elif fn == "sigmoid":
            s = torch.sigmoid(z)
            return torch.diag(s * (1 - s))
        return torch.eye(z.shape[0])

    def forward(self, x):
        """
        Args:
            x: tensor shape (batch_size, linear_1_in_features)
        """
        self.cache["x"] = x
        self.cache["z1"] = x @ self.parameters["W1"].T + self.parameters["b1"]
        self.cache["z2"] = self.act(self.f_function, self.cache["z1"])
        self.cache["z3"] = self.cache["z2"] @ self.parameters["W2"].T + self.parameters["b2"]
        return self.act(self.g_function, self.cache["z3"])

    def backward(self, dJdy_hat):
        """
        Args:
            dJdy_hat: The gradient tensor of shape (batch_size, linear_2_out_features)
        """
        W2 = self.parameters["W2"]
        for k in self.grads:
            self.grads[k] = torch.zeros_like(self.grads[k])
        for i in range(dJdy_hat.shape[0]):
            dJdz3 = dJdy_hat[i] @ self.jac(self.g_function, self.cache["z3"][i])   # (K,)
            dJdz1 = dJdz3 @ W2 @ self.jac(self.f_function, self.cache["z1"][i])    # (h,)
            self.grads["dJdW2"] += torch.outer(dJdz3, self.cache["z2"][i])
            self.grads["dJdb2"] += dJdz3
            self.grads["dJdW1"] += torch.outer(dJdz1, self.cache["x"][i])
            self.grads["dJdb1"] += dJdz1


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
    K = y.shape[1]
    B = y.shape[0]
    loss = torch.norm(y_hat - y) ** 2 / (B * K)
    dJdy_hat = 2 * (y_hat - y) / (B * K)
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
    K = y.shape[1]
    B = y.shape[0]
    loss = torch.sum(-(y * torch.log(y_hat) + (1 - y) * torch.log(1 - y_hat))) / (B * K)
    dJdy_hat = 1 / (B * K) * (-y / y_hat + (1 - y) / (1 - y_hat))
    return loss, dJdy_hat
