"""Typed pointers from raw int64 addresses, for compiled loops that read arrays a table describes by address
(`batched_kernel`, `batched_simd`). Indexing a pointer has no negative-index wraparound, unlike an array indexed by
a computed offset, which is what lets LLVM vectorize the net-minor loops."""

from __future__ import annotations

from nnlib.train.fast_kernel import HAVE_NUMBA

if HAVE_NUMBA:
    from numba import types
    from numba.extending import intrinsic

    def _pointer_to(item_type):  # type: ignore[no-untyped-def]
        """An intrinsic turning an int64 address into a pointer to `item_type` (what numba.carray views)."""

        @intrinsic
        def pointer(typingctx, addr):  # type: ignore[no-untyped-def]
            sig = types.CPointer(item_type)(types.int64)

            def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
                return builder.inttoptr(args[0], context.get_value_type(types.CPointer(item_type)))

            return sig, codegen

        return pointer

    i64_ptr = _pointer_to(types.int64)
    f64_ptr = _pointer_to(types.float64)
    f32_ptr = _pointer_to(types.float32)
    u32_ptr = _pointer_to(types.uint32)
