;; Finds where a three-byte trigram may start in a run of bytes, 16 positions per step
;; with WebAssembly SIMD (the "Teddy" method: a table lookup per nibble; up to 16 buckets
;; of trigrams, one bit each in one of two sets of tables). Assembled into
;; trigram-scan.wasm by `npm run build:wasm`; trigram-scan.ts fills the tables and
;; explains the method.
;;
;; Memory: bytes 0..95 hold the tables of buckets 0-7, bytes 96..191 those of buckets
;; 8-15: for position k of a trigram (k = 0, 1, 2), the low-nibble table at 32k and the
;; high-nibble table at 32k + 16 of its set; the data is written from byte 256 on,
;; followed by at least 18 bytes that a load may read beyond it.
(module
  (memory (export "memory") 5)

  ;; The buckets of one set of tables (at $t) that the 16 bytes $x0, $x1, $x2 (each
  ;; folded) pass at positions 0, 1 and 2 of a trigram, one lane per starting byte.
  (func $buckets (param $t i32) (param $x0 v128) (param $x1 v128) (param $x2 v128)
    (result v128)
    (local $nibble v128)
    (local.set $nibble (i8x16.splat (i32.const 0x0f)))
    (v128.and
      (v128.and
        (v128.and
          (i8x16.swizzle (v128.load (local.get $t)) (v128.and (local.get $x0) (local.get $nibble)))
          (i8x16.swizzle (v128.load offset=16 (local.get $t))
            (v128.and (i16x8.shr_u (local.get $x0) (i32.const 4)) (local.get $nibble))))
        (v128.and
          (i8x16.swizzle (v128.load offset=32 (local.get $t))
            (v128.and (local.get $x1) (local.get $nibble)))
          (i8x16.swizzle (v128.load offset=48 (local.get $t))
            (v128.and (i16x8.shr_u (local.get $x1) (i32.const 4)) (local.get $nibble)))))
      (v128.and
        (i8x16.swizzle (v128.load offset=64 (local.get $t))
          (v128.and (local.get $x2) (local.get $nibble)))
        (i8x16.swizzle (v128.load offset=80 (local.get $t))
          (v128.and (i16x8.shr_u (local.get $x2) (i32.const 4)) (local.get $nibble))))))

  ;; The first position in [p, end) where the bytes at p, p+1, p+2, each with bit 0x20 set
  ;; (ASCII letters folded to lower case), pass the tables of one same bucket; -1 if none.
  (func (export "scan") (param $p i32) (param $end i32) (result i32)
    (local $fold v128) (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $m v128)
    (local.set $fold (i8x16.splat (i32.const 0x20)))
    (block $none
      (loop $next
        (br_if $none (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $x0 (v128.or (v128.load (local.get $p)) (local.get $fold)))
        (local.set $x1 (v128.or (v128.load offset=1 (local.get $p)) (local.get $fold)))
        (local.set $x2 (v128.or (v128.load offset=2 (local.get $p)) (local.get $fold)))
        ;; m = the buckets of either set whose three bytes match at each of the 16 positions.
        (local.set $m
          (v128.or
            (call $buckets (i32.const 0) (local.get $x0) (local.get $x1) (local.get $x2))
            (call $buckets (i32.const 96) (local.get $x0) (local.get $x1) (local.get $x2))))
        (if (v128.any_true (local.get $m))
          (then
            ;; The first such position of the 16, unless it lies at or beyond the end.
            (local.set $p
              (i32.add (local.get $p)
                (i32.ctz (i8x16.bitmask (i8x16.ne (local.get $m) (v128.const i64x2 0 0))))))
            (if (i32.ge_u (local.get $p) (local.get $end)) (then (return (i32.const -1))))
            (return (local.get $p))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $next)))
    (i32.const -1)))
