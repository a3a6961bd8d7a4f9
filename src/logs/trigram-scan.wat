;; Finds where a three-byte trigram may start in a run of bytes, 16 positions per step
;; with WebAssembly SIMD (the "Teddy" method: a table lookup per nibble; up to 8 buckets of
;; trigrams, one bit each). Assembled into trigram-scan.wasm by
;; `npm run build:wasm`; trigram-scan.ts fills the tables and explains the method.
;;
;; Memory: bytes 0..95 hold the tables, for position k of a trigram (k = 0, 1, 2) the
;; low-nibble table at 32k and the high-nibble table at 32k + 16; the data is written from
;; byte 128 on, followed by at least 18 bytes that a load may read beyond it.
(module
  (memory (export "memory") 5)

  ;; The first position in [p, end) where the bytes at p, p+1, p+2, each with bit 0x20 set
  ;; (ASCII letters folded to lower case), pass the tables of one same bucket; -1 if none.
  (func (export "scan") (param $p i32) (param $end i32) (result i32)
    (local $lo0 v128) (local $hi0 v128) (local $lo1 v128) (local $hi1 v128)
    (local $lo2 v128) (local $hi2 v128) (local $fold v128) (local $nibble v128)
    (local $x v128) (local $m v128)
    (local.set $lo0 (v128.load (i32.const 0)))
    (local.set $hi0 (v128.load (i32.const 16)))
    (local.set $lo1 (v128.load (i32.const 32)))
    (local.set $hi1 (v128.load (i32.const 48)))
    (local.set $lo2 (v128.load (i32.const 64)))
    (local.set $hi2 (v128.load (i32.const 80)))
    (local.set $fold (i8x16.splat (i32.const 0x20)))
    (local.set $nibble (i8x16.splat (i32.const 0x0f)))
    (block $none
      (loop $next
        (br_if $none (i32.ge_u (local.get $p) (local.get $end)))
        ;; m = buckets whose first byte matches at each of the 16 positions ...
        (local.set $x (v128.or (v128.load (local.get $p)) (local.get $fold)))
        (local.set $m
          (v128.and
            (i8x16.swizzle (local.get $lo0) (v128.and (local.get $x) (local.get $nibble)))
            (i8x16.swizzle (local.get $hi0)
              (v128.and (i16x8.shr_u (local.get $x) (i32.const 4)) (local.get $nibble)))))
        ;; ... and whose second byte matches one further on ...
        (local.set $x (v128.or (v128.load offset=1 (local.get $p)) (local.get $fold)))
        (local.set $m
          (v128.and (local.get $m)
            (v128.and
              (i8x16.swizzle (local.get $lo1) (v128.and (local.get $x) (local.get $nibble)))
              (i8x16.swizzle (local.get $hi1)
                (v128.and (i16x8.shr_u (local.get $x) (i32.const 4)) (local.get $nibble))))))
        ;; ... and whose third byte matches two further on.
        (local.set $x (v128.or (v128.load offset=2 (local.get $p)) (local.get $fold)))
        (local.set $m
          (v128.and (local.get $m)
            (v128.and
              (i8x16.swizzle (local.get $lo2) (v128.and (local.get $x) (local.get $nibble)))
              (i8x16.swizzle (local.get $hi2)
                (v128.and (i16x8.shr_u (local.get $x) (i32.const 4)) (local.get $nibble))))))
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
