;; SIMD kernels for VectorIndex (src/worker/search/vector-index.ts).
;;
;; The memory is exported so that JS owns the layout: it grows the memory,
;; places the matrices and scratch buffers, and passes byte offsets here.
;; Every row and the query are zero-padded to `stride`, a multiple of 16 bytes
;; (int8) or 16 floats (float32), so the loops need no scalar tail. All
;; offsets must be 16-byte aligned.
(module
  (memory (export "memory") 1)

  ;; Sum of the four i32 lanes.
  (func $hsum_i32 (param $v v128) (result i32)
    (i32.add
      (i32.add (i32x4.extract_lane 0 (local.get $v)) (i32x4.extract_lane 1 (local.get $v)))
      (i32.add (i32x4.extract_lane 2 (local.get $v)) (i32x4.extract_lane 3 (local.get $v)))))

  ;; Sum of the four f32 lanes, pairwise so the rounding is the same for every row.
  (func $hsum_f32 (param $v v128) (result f32)
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
      (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))

  ;; Int8 dot product of the query at $q with each of $rows consecutive rows
  ;; starting at $mat; one i32 per row goes to $out.
  ;;
  ;; Values are quantised to [-127, 127], so a product fits in i16 (<= 16129)
  ;; and so does the sum of two products (<= 32258): the low and high halves are
  ;; added as i16 before widening, saving one widening per 16 bytes. Two
  ;; accumulators over 32-byte steps keep two dependency chains in flight; a
  ;; 16-byte step handles strides that are an odd multiple of 16.
  (func (export "dot_i8")
    (param $mat i32) (param $q i32) (param $stride i32) (param $rows i32) (param $out i32)
    (local $row i32) (local $rowEnd i32) (local $j i32) (local $pairEnd i32)
    (local $a v128) (local $b v128) (local $acc0 v128) (local $acc1 v128)
    (if (i32.eqz (local.get $rows)) (then (return)))
    (local.set $row (local.get $mat))
    (local.set $rowEnd (i32.add (local.get $mat) (i32.mul (local.get $rows) (local.get $stride))))
    (local.set $pairEnd (i32.and (local.get $stride) (i32.const -32)))
    (loop $rowLoop
      (local.set $acc0 (v128.const i32x4 0 0 0 0))
      (local.set $acc1 (v128.const i32x4 0 0 0 0))
      (local.set $j (i32.const 0))
      (block $pairsDone
        (br_if $pairsDone (i32.eqz (local.get $pairEnd)))
        (loop $pairLoop
          (local.set $a (v128.load (i32.add (local.get $row) (local.get $j))))
          (local.set $b (v128.load (i32.add (local.get $q) (local.get $j))))
          (local.set $acc0
            (i32x4.add (local.get $acc0)
              (i32x4.extadd_pairwise_i16x8_s
                (i16x8.add
                  (i16x8.extmul_low_i8x16_s (local.get $a) (local.get $b))
                  (i16x8.extmul_high_i8x16_s (local.get $a) (local.get $b))))))
          (local.set $a (v128.load offset=16 (i32.add (local.get $row) (local.get $j))))
          (local.set $b (v128.load offset=16 (i32.add (local.get $q) (local.get $j))))
          (local.set $acc1
            (i32x4.add (local.get $acc1)
              (i32x4.extadd_pairwise_i16x8_s
                (i16x8.add
                  (i16x8.extmul_low_i8x16_s (local.get $a) (local.get $b))
                  (i16x8.extmul_high_i8x16_s (local.get $a) (local.get $b))))))
          (local.set $j (i32.add (local.get $j) (i32.const 32)))
          (br_if $pairLoop (i32.lt_u (local.get $j) (local.get $pairEnd)))))
      (if (i32.ne (local.get $j) (local.get $stride))
        (then
          (local.set $a (v128.load (i32.add (local.get $row) (local.get $j))))
          (local.set $b (v128.load (i32.add (local.get $q) (local.get $j))))
          (local.set $acc0
            (i32x4.add (local.get $acc0)
              (i32x4.extadd_pairwise_i16x8_s
                (i16x8.add
                  (i16x8.extmul_low_i8x16_s (local.get $a) (local.get $b))
                  (i16x8.extmul_high_i8x16_s (local.get $a) (local.get $b))))))))
      (i32.store (local.get $out)
        (call $hsum_i32 (i32x4.add (local.get $acc0) (local.get $acc1))))
      (local.set $out (i32.add (local.get $out) (i32.const 4)))
      (local.set $row (i32.add (local.get $row) (local.get $stride)))
      (br_if $rowLoop (i32.lt_u (local.get $row) (local.get $rowEnd)))))

  ;; Float32 dot product of the query at $q with the $n rows whose indices are
  ;; the i32s at $rowIds, in a matrix at $mat of $stride bytes per row; one f32
  ;; per listed row goes to $out. Used to re-rank the int8 scan's candidates.
  (func (export "dot_f32_rows")
    (param $mat i32) (param $q i32) (param $stride i32) (param $rowIds i32) (param $n i32) (param $out i32)
    (local $idsEnd i32) (local $row i32) (local $j i32)
    (local $acc0 v128) (local $acc1 v128) (local $acc2 v128) (local $acc3 v128)
    (if (i32.eqz (local.get $n)) (then (return)))
    (local.set $idsEnd (i32.add (local.get $rowIds) (i32.shl (local.get $n) (i32.const 2))))
    (loop $rowLoop
      (local.set $row
        (i32.add (local.get $mat) (i32.mul (i32.load (local.get $rowIds)) (local.get $stride))))
      (local.set $acc0 (v128.const f32x4 0 0 0 0))
      (local.set $acc1 (v128.const f32x4 0 0 0 0))
      (local.set $acc2 (v128.const f32x4 0 0 0 0))
      (local.set $acc3 (v128.const f32x4 0 0 0 0))
      (local.set $j (i32.const 0))
      ;; A stride of 16 floats is 64 bytes: four independent accumulators.
      (loop $colLoop
        (local.set $acc0 (f32x4.add (local.get $acc0)
          (f32x4.mul (v128.load (i32.add (local.get $row) (local.get $j)))
                     (v128.load (i32.add (local.get $q) (local.get $j))))))
        (local.set $acc1 (f32x4.add (local.get $acc1)
          (f32x4.mul (v128.load offset=16 (i32.add (local.get $row) (local.get $j)))
                     (v128.load offset=16 (i32.add (local.get $q) (local.get $j))))))
        (local.set $acc2 (f32x4.add (local.get $acc2)
          (f32x4.mul (v128.load offset=32 (i32.add (local.get $row) (local.get $j)))
                     (v128.load offset=32 (i32.add (local.get $q) (local.get $j))))))
        (local.set $acc3 (f32x4.add (local.get $acc3)
          (f32x4.mul (v128.load offset=48 (i32.add (local.get $row) (local.get $j)))
                     (v128.load offset=48 (i32.add (local.get $q) (local.get $j))))))
        (local.set $j (i32.add (local.get $j) (i32.const 64)))
        (br_if $colLoop (i32.lt_u (local.get $j) (local.get $stride))))
      (f32.store (local.get $out)
        (call $hsum_f32
          (f32x4.add (f32x4.add (local.get $acc0) (local.get $acc1))
                     (f32x4.add (local.get $acc2) (local.get $acc3)))))
      (local.set $out (i32.add (local.get $out) (i32.const 4)))
      (local.set $rowIds (i32.add (local.get $rowIds) (i32.const 4)))
      (br_if $rowLoop (i32.lt_u (local.get $rowIds) (local.get $idsEnd)))))
)
