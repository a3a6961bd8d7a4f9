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

  ;; The first position in [p, end) where the bytes at p, p+1, p+2, each with bit 0x20 set
  ;; (ASCII letters folded to lower case), pass the tables of one same bucket; -1 if none.
  ;; The twelve tables stay in locals (registers) for the whole scan.
  (func (export "scan") (param $p i32) (param $end i32) (result i32)
    (local $lo0a v128) (local $hi0a v128) (local $lo1a v128) (local $hi1a v128) (local $lo2a v128) (local $hi2a v128) (local $lo0b v128) (local $hi0b v128) (local $lo1b v128) (local $hi1b v128) (local $lo2b v128) (local $hi2b v128)
    (local $fold v128) (local $nibble v128) (local $x0 v128) (local $x1 v128) (local $x2 v128)
    (local $m v128)
    (local $l0 v128) (local $h0 v128) (local $l1 v128) (local $h1 v128) (local $l2 v128) (local $h2 v128)
    (local.set $lo0a (v128.load (i32.const 0)))
    (local.set $hi0a (v128.load (i32.const 16)))
    (local.set $lo1a (v128.load (i32.const 32)))
    (local.set $hi1a (v128.load (i32.const 48)))
    (local.set $lo2a (v128.load (i32.const 64)))
    (local.set $hi2a (v128.load (i32.const 80)))
    (local.set $lo0b (v128.load (i32.const 96)))
    (local.set $hi0b (v128.load (i32.const 112)))
    (local.set $lo1b (v128.load (i32.const 128)))
    (local.set $hi1b (v128.load (i32.const 144)))
    (local.set $lo2b (v128.load (i32.const 160)))
    (local.set $hi2b (v128.load (i32.const 176)))
    (local.set $fold (i8x16.splat (i32.const 0x20)))
    (local.set $nibble (i8x16.splat (i32.const 0x0f)))
    (block $none
      (loop $next
        (br_if $none (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $x0 (v128.or (v128.load (local.get $p)) (local.get $fold)))
        (local.set $x1 (v128.or (v128.load offset=1 (local.get $p)) (local.get $fold)))
        (local.set $x2 (v128.or (v128.load offset=2 (local.get $p)) (local.get $fold)))
        ;; Each byte's low and high nibble: the indexes into the tables.
        (local.set $l0 (v128.and (local.get $x0) (local.get $nibble)))
        (local.set $h0 (v128.and (i16x8.shr_u (local.get $x0) (i32.const 4)) (local.get $nibble)))
        (local.set $l1 (v128.and (local.get $x1) (local.get $nibble)))
        (local.set $h1 (v128.and (i16x8.shr_u (local.get $x1) (i32.const 4)) (local.get $nibble)))
        (local.set $l2 (v128.and (local.get $x2) (local.get $nibble)))
        (local.set $h2 (v128.and (i16x8.shr_u (local.get $x2) (i32.const 4)) (local.get $nibble)))
        ;; m = the buckets of either set whose bytes match at p, p + 1 and p + 2, for each
        ;; of the 16 positions p.
        (local.set $m
          (v128.or
        (v128.and
          (v128.and
            (v128.and
              (i8x16.swizzle (local.get $lo0a) (local.get $l0))
              (i8x16.swizzle (local.get $hi0a)
                (local.get $h0)))
            (v128.and
              (i8x16.swizzle (local.get $lo1a) (local.get $l1))
              (i8x16.swizzle (local.get $hi1a)
                (local.get $h1))))
          (v128.and
              (i8x16.swizzle (local.get $lo2a) (local.get $l2))
              (i8x16.swizzle (local.get $hi2a)
                (local.get $h2))))
        (v128.and
          (v128.and
            (v128.and
              (i8x16.swizzle (local.get $lo0b) (local.get $l0))
              (i8x16.swizzle (local.get $hi0b)
                (local.get $h0)))
            (v128.and
              (i8x16.swizzle (local.get $lo1b) (local.get $l1))
              (i8x16.swizzle (local.get $hi1b)
                (local.get $h1))))
          (v128.and
              (i8x16.swizzle (local.get $lo2b) (local.get $l2))
              (i8x16.swizzle (local.get $hi2b)
                (local.get $h2))))))
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
