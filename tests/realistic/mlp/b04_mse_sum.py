# style: helper class per layer; MSE summed instead of averaged (J and gradient)
# wrong: mlp.mse_loss.forward, mlp.mse_loss.backward
import torch


class Linear:
    def __init__(self, W, b):
        self.W = W
        self.b = b

    def forward(self, x):
        self.x = x
        return x @ self.W.T + self.b

    def backward(self, grad_out):
        dW = grad_out.T @ self.x
        db = grad_out.sum(0)
        dx = grad_out @ self.W
        return dx, dW, db


class ReLU:
    def forward(self, x):
        self.mask = x > 0
        return x * self.mask

    def backward(self, grad_out):
        return grad_out * self.mask


class Sigmoid:
    def forward(self, x):
        self.out = torch.sigmoid(x)
        return self.out

    def backward(self, grad_out):
        return grad_out * self.out * (1 - self.out)


class Identity:
    def forward(self, x):
        return x

    def backward(self, grad_out):
        return grad_out


LAYERS = {"relu": ReLU, "sigmoid": Sigmoid, "identity": Identity}


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
        self.cache = dict()
        self.f = LAYERS[f_function]()
        self.g = LAYERS[g_function]()

    def forward(self, x):
        # layers are rebuilt each time so that parameters set from outside are used
        self.l1 = Linear(self.parameters["W1"], self.parameters["b1"])
        self.l2 = Linear(self.parameters["W2"], self.parameters["b2"])
        out = x
        for layer in (self.l1, self.f, self.l2, self.g):
            out = layer.forward(out)
        return out

    def backward(self, dJdy_hat):
        grad = self.g.backward(dJdy_hat)
        grad, dW2, db2 = self.l2.backward(grad)
        grad = self.f.backward(grad)
        _, dW1, db1 = self.l1.backward(grad)
        self.grads["dJdW1"] = dW1
        self.grads["dJdb1"] = db1
        self.grads["dJdW2"] = dW2
        self.grads["dJdb2"] = db2

    def clear_grad_and_cache(self):
        for grad in self.grads:
            self.grads[grad].zero_()
        self.cache = dict()


def mse_loss(y, y_hat):
    loss = torch.sum(torch.square(y_hat - y))
    dJdy_hat = 2 * (y_hat - y)
    return loss, dJdy_hat


def bce_loss(y, y_hat):
    loss = torch.mean(-y * torch.log(y_hat) - (1 - y) * torch.log(1 - y_hat))
    dJdy_hat = (1 / torch.numel(y)) * ((1 - y) / (1 - y_hat) - y / y_hat)
    return loss, dJdy_hat
