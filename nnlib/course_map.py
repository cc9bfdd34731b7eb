"""The course map's table: the concepts of an intro deep-learning course in lecture order, each with one sentence
and the link (page + preset) that shows it first. Data only, so a test can open and train every link.

A link's query holds RunConfig fields ("model.dropout") for the Playground and the CNN page, or a lab's settings
("<lab>.<field>") for a lab page; the page fills the rest from its own defaults.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

# url path of each page (st.Page url_path in app.py; the Playground is the default page at "/")
PAGES = {"playground": "", "cnn": "cnn", "compare": "compare", "lab-activations": "lab-activations",
         "lab-initialization": "lab-initialization", "lab-optimizers": "lab-optimizers", "lab-losses": "lab-losses",
         "lab-convolution": "lab-convolution", "lab-pooling_norm": "lab-pooling_norm", "lab-dropout": "lab-dropout",
         "lab-zoo": "lab-zoo", "lab-learning_rate": "lab-learning_rate", "lab-fitting": "lab-fitting",
         "lab-transfer": "lab-transfer"}
RUN_PAGES = ("playground", "cnn")  # pages whose preset is a RunConfig that trains
FOCUS = "focus"  # the query parameter naming the widget a link lands on (ui/page_aids.js scrolls to it)


@dataclass(frozen=True)
class Concept:
    """One line of the map: what the student learns, where, and with which preset."""

    title: str
    sentence: str
    page: str  # a key of PAGES
    query: dict[str, str] = field(default_factory=dict)
    # the widget key of the part of the page that shows the concept, when it is not at the top: the link's
    # `focus` parameter, which the browser scrolls to (ui/page_aids.js); "Softmax" opened the Losses lab at the
    # line-fitting chart, two screens above the softmax part
    focus: str = ""

    @property
    def link(self) -> str:
        """The relative URL that opens the page with the preset (a fresh page, so the preset is applied)."""
        path = "/" + PAGES[self.page]
        query = {**self.query, **({FOCUS: self.focus} if self.focus else {})}
        return f"{path}?{urlencode(query)}" if query else path

    @property
    def trains(self) -> bool:
        return self.page in RUN_PAGES


COURSE: tuple[Concept, ...] = (
    Concept("Neuron and MLP", "A neuron computes a weighted sum and an activation, a line through the plane; a "
            "hidden layer of them bends it into a curve around the circle.", "playground",
            {"model.hidden": "4", "train.speed": "slow"}),
    Concept("Activations and their derivatives", "Each non-linearity next to its derivative: ReLU's gradient is "
            "0 or 1, sigmoid's never exceeds 1/4.", "lab-activations", {"activations.activation": "relu"}),
    Concept("Softmax", "Softmax turns scores into probabilities, p_i = e^(z_i/T) / sum_j e^(z_j/T); the "
            "temperature T sharpens or flattens them.", "lab-losses", {"losses.temperature": "2"},
            focus="lab.losses.temperature"),
    Concept("The losses", "Outliers pull a squared-error fit towards them, while Huber and absolute error hold "
            "the line; cross-entropy for classes.", "lab-losses", {"losses.n_outliers": "8"}),
    Concept("Gradient descent and backprop", "Each step goes against the gradient that backprop computes, "
            "w <- w - lr * dL/dw: follow the path on a loss surface.", "lab-optimizers",
            {"optimizers.surface": "valley"}),
    Concept("Mini-batches", "A gradient step per batch of examples: batch size 1 is noisy but frequent, the "
            "loss curve wiggles.", "playground", {"train.batch_size": "1", "train.speed": "slow"}),
    Concept("Learning rate", "One problem, three rates side by side: too small crawls, a good one converges, too "
            "large overshoots and diverges.", "lab-learning_rate", {"learning_rate.experiment": "rates"}),
    Concept("Momentum, Nesterov, Adagrad, RMSprop, Adam", "The update rules race on an ill-conditioned valley: "
            "SGD zig-zags across it at every step while momentum runs along its floor.", "lab-optimizers",
            {"optimizers.surface": "valley", "optimizers.steps": "150"}),
    Concept("Learning-rate schedules", "Each schedule's rate lr_t drawn next to the loss it produces: step decay, "
            "exponential, cosine and reduce-on-plateau.", "lab-learning_rate",
            {"learning_rate.experiment": "schedules"}),
    Concept("Train, validation and test splits", "The model learns from the training points, is tuned on the "
            "validation ones and judged once on the test ones.", "playground",
            {"data.noise": "20", "data.train_frac": "0.5", "data.val_frac": "0.25"}),
    Concept("Over- and underfitting", "Wider and wider nets on the same noisy points: too few neurons underfit, "
            "many fit the training set while the validation loss turns up again.", "lab-fitting",
            {"fitting.experiment": "capacity"}),
    Concept("L1 and L2", "The overfitting net beside the same net with a penalty on its weights, (l2/2) sum w^2 "
            "or l1 sum |w|: smaller weights, a smoother fit; a line per penalty says if it beat the baseline.",
            "lab-fitting",             {"fitting.experiment": "remedies", "fitting.remedies": "l2,l1"}),
    Concept("Dropout", "Each value is dropped with probability p while training and the survivors scaled by "
            "1/(1-p): the mask, why the average of many passes is the eval output.", "lab-dropout",
            {"dropout.p": "0.5"}),
    Concept("Early stopping", "The overfitting net stopped when its validation loss has not improved for 20 "
            "epochs, with the best weights restored, beside the net that trains on.", "lab-fitting",
            {"fitting.experiment": "remedies", "fitting.remedies": "early_stopping", "fitting.patience": "20"}),
    Concept("Data augmentation", "Shifted copies of each training digit teach that position does not matter.",
            "cnn", {"data.augment": "shift", "train.epochs": "15"}),
    Concept("Weight initialization", "Through 10 tanh layers, small weights shrink activations to 0 and large "
            "ones saturate; Xavier keeps them spread.", "lab-initialization", {"init.activation": "tanh"}),
    Concept("Input standardization", "Every input feature is standardized with the training rows' mean and std; "
            "with x1^2 and x2^2 as inputs one neuron separates the circle.", "playground",
            {"data.features": "x1^2,x2^2", "model.hidden": ""}),
    Concept("Convolution", "A kernel slides over the input; each output is a dot product of window and kernel.",
            "lab-convolution", {"conv.lecture": "1"}),
    Concept("Padding, stride and pooling", "Output side (W - F + 2P)/S + 1: padding keeps the size, stride and "
            "pooling shrink it.", "lab-pooling_norm", {"pool.kind": "max"}),
    Concept("1x1 and transposed convolution", "A 1x1 bottleneck cuts the multiplies of a 5x5 layer; a transposed "
            "convolution grows a map back.", "lab-convolution", {"bottleneck.c_mid": "16"}),
    Concept("Batch, layer, instance and group norm", "Which elements share one mean and variance: over the batch, "
            "the layer, one channel or a group of channels.", "lab-pooling_norm", {"norm.kind": "group"}),
    Concept("The classic architectures", "AlexNet to MobileNet: layer by layer, their parameters and "
            "multiply-adds.", "lab-zoo", {"zoo.net": "resnet18"}),
    Concept("Transfer learning", "Conv filters pretrained on digits reused for shapes with 5 images a class: frozen, "
            "fine-tuned and from scratch overlaid.", "lab-transfer", {"transfer.per_class": "5"}),
    Concept("Accuracy and F1", "A digit classifier's confusion matrix and per-class precision, recall and F1 "
            "show which digits it confuses.", "cnn", {"train.epochs": "10"}),
    Concept("Saving and loading models", "Export a trained run as a file (config + safetensors weights) and load "
            "it back under Share, import and export.", "playground",
            {"train.until_paused": "false", "train.epochs": "50"}),
)
