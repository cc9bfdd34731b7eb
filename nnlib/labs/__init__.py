"""The computations behind the labs (issues #10 and #13): pure numpy/torch, no streamlit or plotly, each checked
by tests/labs against torch or hand-worked values, so that a lab page only lays out widgets and plots what these
functions return. Nothing here trains a model for more than a few hundred tiny steps; anything that trains a
real net goes through the JobManager like the Playground does.

Which function serves which lab, and what its page should show:

[13.7] Convolution arithmetic -- nnlib.labs.conv
    conv_walk(x, kernel, stride, padding, dilation) -> ConvWalk(padded, steps, output). Draw the padded input
        with the window of steps[i] highlighted (top/left, F x F, every D-th cell when dilated), the products
        matrix beside it and "sum = value" filling output[out_row, out_col]; a slider or play button walks i.
        LECTURE_INPUT / LECTURE_KERNEL are the lecture's worked example (output [[-5,16,36],[10,-6,15],[13,34,13]]).
    conv_output_size / conv_output_shape (1D, 2D, 3D) / conv_params / transposed_output_size: show the formula
        with the chosen numbers substituted next to the shape torch produced.
    bottleneck_comparison(28, 28, 192, 32, 5, 16) + total_cost: a two-row table (direct vs 1x1 bottleneck) of
        params and multiplies, with per-layer rows (ConvCost.label) under each.

[13.8] Pooling and normalization -- nnlib.labs.pool_norm
    pool_walk(x, size, stride, kind) for kind in POOLS (max, min, average, sum) -> (steps, output): the matrix
        with each step's window outlined and its value in the output; four small outputs side by side make the
        difference between the pools obvious. POOL_FORMULAS holds the one-line formulas.
    norm_group_ids(kind, (N, C, H, W), groups): an integer id per element; draw the tensor as N rows of C small
        H x W heatmaps coloured by id (same colour = one shared mean and variance), one panel per kind in NORMS,
        with NORM_FORMULAS as captions. normalize(x, kind, groups) -> Normalized(means, variances, output) gives
        the numbers to print in a hover or beside each colour.

[13.3] Optimizers on 2D loss surfaces -- nnlib.labs.surfaces, nnlib.labs.optimizer_paths
    SURFACES (valley, saddle, two_minima): each Surface has label, formula, lesson (two sentences for the page),
        minima (global first), a start that shows the lesson, the view ranges and a suggested lr per optimizer.
        surface_grid(surface, n) -> (xs, ys, Z) for the contour plot (log-spaced contour levels suit the valley).
    race(surface, names, lrs, steps, start, noise, seed, make, lr_scale) -> one Path per optimizer (real
        torch.optim on a 2-number tensor at lr_scale x the surface's suggested rate; `make` is swappable, the
        default_optimizer uses TrainConfig's momentum and betas). Draw each
        Path's xs/ys as a line with markers over the contours, animated by revealing points 0..k; mark the
        minima. noise > 0 is the mini-batch variant (seeded: same seed, same draws for every optimizer). A Path
        with diverged=True ends at its last sane point: draw it and print Path.message instead of a plot of NaNs.
        Path.steps_to_reach(minimum, tol) is the number for a "who got there first" table.

[13.6] Losses -- nnlib.labs.loss_lab
    line_with_outliers(n, slope, intercept, noise, n_outliers, ...) -> LineData(x, y, outlier) and
        fit_line(x, y, loss, delta) for loss in LINE_LOSSES (mse, l1, huber; ~0.2 s CPU each, cache it): scatter
        the points (outliers in another colour), draw the three fitted lines and the true one; a slider for the
        number of outliers shows MSE tilting while L1 and Huber hold.
    sigmoid_logit_gradients(z, target) -> p, cross_entropy, mse: plot |dL/dz| of both against z (log y-axis
        helps) with the "confident and wrong" region (z << 0 for target 1) shaded: CE stays near 1, MSE vanishes.
    softmax_temperature(logits, T) -> probabilities, entropy, max_entropy: bars of the probabilities under a
        T slider (log scale, 0.01..100) with "entropy / ln K" written beside them.

[13.1] Activations -- nnlib.labs.activation_lab
    activation_curve(name, lo, hi, points) / all_activation_curves(...) -> ActivationCurve(x, value, derivative,
        saturated, formula, description, note): plot f and f' (autograd) on one chart per activation, shade each
        (start, end) of `saturated` (|f'| < 5% of its max), print the formula and `note` (PReLU and maxout are
        drawn at example parameters). Cheap (~1 ms each): compute on every change of the range.
    dead_relu_fraction(model, x, kinds) -> {module name: fraction, "all": fraction}: the number to plot per
        epoch when the page trains (through the JobManager) a ReLU net at a high learning rate beside a leaky
        one (pass kinds=(nn.LeakyReLU,) for the units that would be dead without the leak).

[10.2] Initialization through depth -- nnlib.labs.init_depth
    compare_initializers(activation, LECTURE_INITIALIZERS, depth=10, width=500, batch=200) -> one DepthRun per
        initializer (zeros, small_normal, large_normal, xavier_normal, he_normal from nnlib.initializers). Draw a
        grid: one row per initializer, one column per layer, each cell the histogram `hist` over the run's shared
        `edges` (the same for a second grid of `grad_hist` over `grad_edges`); beside it a line of DepthRun.stds
        per initializer against the layer (log y-axis shows the collapse). Print `saturated` for tanh and `zero`
        for ReLU. Cost: ~0.1 CPU-s per initializer with one torch thread (cap: 12 layers, 500 units, batch 1000).
        Training each initializer and overlaying curves goes through the JobManager, not here.

[13.9] Architecture zoo -- nnlib.labs.zoo
    zoo_summary() -> one row per net of ZOO (AlexNet, VGG-16, GoogLeNet, ResNet-18/50, MobileNet v1 built from
        depthwise_separable blocks, MobileNet v2): params and multiply-adds measured on one 224x224 image next
        to the quoted figures and their source. Draw it as a table and a log-log scatter (params vs MACs).
    zoo_table(name) -> ZooTable(rows, params, macs); each LayerRow has layer, kind, output, params, macs: the
        per-net table (an expander per net). Built on the meta device (no weights allocated, nothing
        downloaded): 0.55 CPU-s for all seven nets after torchvision is imported (3.4 s, once per server), then
        cached.
    residual_block_params(c) and depthwise_separable_cost(c_in, c_out, f, h, w): the two savings (basic vs
        bottleneck residual block: 1,179,648 vs 69,632 weights at 256 channels; standard vs separable conv,
        ratio 1/c_out + 1/F^2) as a two-column comparison with the formula.

[10.10] Dropout -- nnlib.labs.dropout_lab
    dropout_pass(x, p, seed) -> DropoutPass(mask, scale, train_output, eval_output): three heatmaps side by side
        (input, mask with dropped cells dark, train output with the survivors scaled by 1/(1-p)) and the eval
        output equal to the input; a "new mask" button changes the seed.
    mean_of_dropout_passes(x, p, n, seed): the running mean after 1..n passes, converging to x (a slider over
        passes, or the mean absolute gap to x against n): why the scaling lets evaluation switch dropout off.
    mc_dropout_predict(model, x, n, seed) -> MCPrediction(samples, mean, std, eval_output): for a trained model
        (trained through the JobManager), the mean prediction with a +-2 std band over the inputs, and a few
        samples as thin lines; eval_output for contrast.

Cost note: these are small tensors; with two torch threads on a busy 2-core machine tiny ops spin-wait (1000
tiny forward passes: 7 s with 2 threads under load, 0.3 s with 1), so whoever wires the pages may want the
server's torch thread count at 1.

Settings -- nnlib.labs.settings
    One frozen dataclass per lab (LAB_SETTINGS: ConvLab, BottleneckLab, TransposedLab, PoolLab, NormLab,
    OptimizerLab, LossLab, ActivationLab, InitLab, ZooLab, DropoutLab) whose fields carry min/max/step/help/choices
    in the same metadata as RunConfig: build each widget's range and tooltip from it, and show
    lab_problems(settings) (a list of sentences) instead of computing when it is not empty. Inputs a page needs
    to invent come from small_int_matrix(rows, cols, seed) (conv and pooling) and a seeded normal tensor (norm).
"""
