"""Lab 13.7: convolution arithmetic -- the kernel sliding over a matrix, output size and parameters checked against
torch, the 1x1 bottleneck, transposed convolution and 1D/2D/3D shapes."""

from __future__ import annotations

import streamlit as st

from nnlib.labs.conv import (
    LECTURE_INPUT,
    LECTURE_KERNEL,
    bottleneck_comparison,
    conv_output_size,
    conv_walk,
    small_int_matrix,
)
from ui.labs import widgets as W
from ui.labs.conv_tables import (
    bottleneck_rows,
    output_size_formula,
    random_kernel,
    shape_rows,
    torch_transposed,
    transposed_formula,
)
from ui.labs.grid_plots import conv_walk_figure

LABS = ("conv", "bottleneck", "transposed")


@st.cache_data(max_entries=64, show_spinner=False)
def walk_figure(lecture: bool, size: int, kernel: int, stride: int, padding: int, dilation: int, seed: int):  # noqa: ANN201
    x = LECTURE_INPUT if lecture else small_int_matrix(size, size, seed)
    k = LECTURE_KERNEL if lecture else random_kernel(kernel, seed)
    walk = conv_walk(x, k, stride, padding, dilation)
    return walk.output, conv_walk_figure(walk, k, padding, dilation)


@st.cache_data(max_entries=64, show_spinner=False)
def shapes(size: int, kernel: int, stride: int, padding: int, dilation: int) -> list[dict[str, object]]:
    return shape_rows(size, kernel, stride, padding, dilation)


W.header("Convolution arithmetic",
         "A convolution slides an F x F kernel over the input with stride S after P rings of zero padding; each "
         "position gives one output value, the sum of window × kernel (a dot product). Along each axis the output "
         "has **floor((W - F + 2P)/S) + 1** values (a dilation D spreads the kernel over D(F-1) + 1 cells) and "
         "the layer learns **F x F x D_in x K + K** numbers. Press **Play** and follow the red window; change "
         "stride and padding and see the output shrink or keep its size.")
W.begin(LABS)
lecture = W.flag("conv", "lecture", "The lecture's worked example",
                 "Use the lecture's 5x5 input and 3x3 kernel [[1,2,3],[-4,7,4],[2,-5,1]] instead of a seeded random "
                 "matrix. Formula: out[i, j] = sum over the window of x * kernel")
cols = st.columns(6)
if lecture:
    st.session_state[W.key("conv", "size")], st.session_state[W.key("conv", "kernel")] = LECTURE_INPUT.shape[0], 3
W.number("conv", "size", "Input W", where=cols[0], disabled=lecture)
W.number("conv", "kernel", "Kernel F", where=cols[1], disabled=lecture)
W.number("conv", "stride", "Stride S", where=cols[2])
W.number("conv", "padding", "Padding P", where=cols[3])
W.number("conv", "dilation", "Dilation D", where=cols[4])
W.number("conv", "seed", "Seed", slider=False, where=cols[5], disabled=lecture)
conv = W.finish("conv")
if conv is not None:
    output, fig = walk_figure(lecture, conv.size, conv.kernel, conv.stride, conv.padding, conv.dilation, conv.seed)
    st.plotly_chart(fig, key="conv_walk_chart")
    out = conv_output_size(conv.size, conv.kernel, conv.stride, conv.padding, conv.dilation)
    formula = output_size_formula(conv.size, conv.kernel, conv.stride, conv.padding, conv.dilation, out)
    st.markdown(f"**Output size:** {formula}; the walk above produced a {output.shape[0]} x {output.shape[1]} "
                "output.")
    st.markdown("**The same layer in 1D, 2D and 3D** (3 input channels, 8 filters), each formula checked against "
                "the real torch layer:")
    st.dataframe(shapes(conv.size, conv.kernel, conv.stride, conv.padding, conv.dilation), hide_index=True)

st.markdown("#### 1x1 convolution as dimensionality reduction")
st.markdown("A 1x1 conv mixes channels at each position: squeezing D_in channels to a few before the big F x F "
            "conv cuts parameters (F x F x D_in x K) and multiplies (H x W x K x F x F x D_in) about tenfold. The "
            "lecture's numbers: 28x28x192 → 32 channels with a 5x5 conv, directly or through 16 channels.")
cols = st.columns(5)
for col, (name, label) in zip(cols, (("size", "H = W"), ("c_in", "D_in"), ("c_mid", "1x1 channels"),
                                     ("kernel", "F"), ("c_out", "K"))):
    W.number("bottleneck", name, label, slider=False, where=col)
bottleneck = W.finish("bottleneck")
if bottleneck is not None:
    b = bottleneck
    st.dataframe(bottleneck_rows(bottleneck_comparison(b.size, b.size, b.c_in, b.c_out, b.kernel, b.c_mid)),
                 hide_index=True, column_config={"params": st.column_config.NumberColumn(format="localized"),
                                                 "multiplies": st.column_config.NumberColumn(format="localized")})

st.markdown("#### Transposed convolution")
st.markdown("A transposed conv (\"deconvolution\") stamps the kernel, scaled by each input value, S cells apart: "
            "it grows a map instead of shrinking it, as decoders and segmentation nets need.")
cols = st.columns(5)
for col, (name, label) in zip(cols, (("size", "Input N"), ("kernel", "Kernel F"), ("stride", "Stride S"),
                                     ("padding", "Padding P"), ("output_padding", "Output padding"))):
    W.number("transposed", name, label, where=col)
transposed = W.finish("transposed")
if transposed is not None:
    t = transposed
    numbers = (t.size, t.kernel, t.stride, t.padding, t.output_padding)
    st.markdown(f"**Output length:** {transposed_formula(*numbers)}; `nn.ConvTranspose1d` gives "
                f"**{torch_transposed(*numbers)}**.")
