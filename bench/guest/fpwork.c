/*
 * The fixed floating-point workload of `npm run bench` (next to the integer one in workload.c), built
 * the same way: one freestanding C file linked into the PVH guest and into a native program.
 * Double precision through SSE2 (n-body, matrix multiply, Mandelbrot) plus an x87 `long double` part
 * (series, Newton square roots, and the transcendentals FSIN/FCOS/FPATAN/FYL2X/F2XM1 through inline
 * assembly). The checksum hashes every result bit for bit, except the x87 transcendentals, which are
 * only required to be within 1 ulp of the host's: those are folded in after rounding to float.
 */
#include <stdint.h>

static uint64_t bits(double d) { uint64_t u; __builtin_memcpy(&u, &d, 8); return u; }
static uint64_t mix(uint64_t h, uint64_t v) { return (h ^ v) * 0x100000001b3ull + (h >> 29); }

/* ---- n-body (five bodies, symplectic Euler) ---- */
#define NB 5
static double px[NB], py[NB], pz[NB], vx[NB], vy[NB], vz[NB], ms[NB];
static uint64_t nbody(int steps) {
  static const double init[NB][7] = {
    { 0, 0, 0, 0, 0, 0, 39.47841760435743 },
    { 4.84143144246472090, -1.16032004402742839, -0.103622044471123109, 0.606326392995832, 2.81198684491626, -0.02521836165988763, 0.03769367487038949 },
    { 8.34336671824457987, 4.12479856412430479, -0.403523417114321381, -1.01077434617730, 1.82566237123041, 0.008415761376584154, 0.011286326131968767 },
    { 12.8943695621391310, -15.1111514016986312, -0.223307578892655734, 1.08279100644154, 0.868713018169608, -0.01083270484077607, 0.0017237240570597112 },
    { 15.3796971148509165, -25.9193146099879641, 0.179258772950371181, 0.979090732243898, 0.594698998647676, -0.034755955504078104, 0.0020336868699246304 },
  };
  for (int i = 0; i < NB; i++) {
    px[i] = init[i][0]; py[i] = init[i][1]; pz[i] = init[i][2];
    vx[i] = init[i][3]; vy[i] = init[i][4]; vz[i] = init[i][5]; ms[i] = init[i][6];
  }
  const double dt = 0.01;
  for (int s = 0; s < steps; s++) {
    for (int i = 0; i < NB; i++)
      for (int j = i + 1; j < NB; j++) {
        double dx = px[i] - px[j], dy = py[i] - py[j], dz = pz[i] - pz[j];
        double d2 = dx * dx + dy * dy + dz * dz;
        double mag = dt / (d2 * __builtin_sqrt(d2));
        vx[i] -= dx * ms[j] * mag; vy[i] -= dy * ms[j] * mag; vz[i] -= dz * ms[j] * mag;
        vx[j] += dx * ms[i] * mag; vy[j] += dy * ms[i] * mag; vz[j] += dz * ms[i] * mag;
      }
    for (int i = 0; i < NB; i++) { px[i] += dt * vx[i]; py[i] += dt * vy[i]; pz[i] += dt * vz[i]; }
  }
  uint64_t h = 0;
  for (int i = 0; i < NB; i++) h = mix(mix(mix(h, bits(px[i])), bits(py[i])), bits(vz[i]));
  return h;
}

/* ---- dense matrix multiply ---- */
#define MN 96
static double ma[MN][MN], mb[MN][MN], mc[MN][MN];
static uint64_t matmul(int reps) {
  for (int i = 0; i < MN; i++)
    for (int j = 0; j < MN; j++) {
      ma[i][j] = (double)((i * 7 + j * 3) % 17) / 8.0 - 1.0;
      mb[i][j] = (double)((i * 5 + j * 11) % 13) / 6.5 + 0.25;
    }
  uint64_t h = 0;
  for (int r = 0; r < reps; r++) {
    for (int i = 0; i < MN; i++)
      for (int j = 0; j < MN; j++) {
        double s = 0;
        for (int k = 0; k < MN; k++) s += ma[i][k] * mb[k][j];
        mc[i][j] = s;
      }
    for (int i = 0; i < MN; i++) for (int j = 0; j < MN; j++) ma[i][j] = mc[i][j] * (1.0 / 64.0) - ma[j][i] * 0.5;
    h = mix(h, bits(mc[r % MN][(r * 7) % MN]));
  }
  for (int i = 0; i < MN; i++) h = mix(h, bits(mc[i][MN - 1 - i]));
  return h;
}

/* ---- Mandelbrot ---- */
static uint64_t mandel(int w, int hgt, int maxit) {
  uint64_t total = 0, h = 0;
  for (int y = 0; y < hgt; y++)
    for (int x = 0; x < w; x++) {
      double cr = -2.2 + 3.0 * x / w, ci = -1.4 + 2.8 * y / hgt, zr = 0, zi = 0;
      int it = 0;
      while (it < maxit && zr * zr + zi * zi <= 4.0) {
        double t = zr * zr - zi * zi + cr;
        zi = 2.0 * zr * zi + ci;
        zr = t;
        it++;
      }
      total += (uint64_t)it;
      if (((x ^ y) & 15) == 0) h = mix(h, bits(zr + zi));
    }
  return mix(h, total);
}

/* ---- x87 long double ---- */
static uint64_t ldbits(long double v) {
  uint64_t u[2] = { 0, 0 };
  __builtin_memcpy(u, &v, 10);
  return u[0] ^ (u[1] << 48);
}
static long double x87_sin(long double x) { __asm__("fsin" : "+t"(x)); return x; }
static long double x87_cos(long double x) { __asm__("fcos" : "+t"(x)); return x; }
static long double x87_atan2(long double y, long double x) {
  long double r;
  __asm__("fpatan" : "=t"(r) : "0"(x), "u"(y) : "st(1)");
  return r;
}
static long double x87_log2(long double x) {
  long double r;
  __asm__("fld1\n\tfxch\n\tfyl2x" : "=t"(r) : "0"(x));
  return r;
}
static long double x87_exp2m1(long double x) { __asm__("f2xm1" : "+t"(x)); return x; }
static long double x87_sqrt(long double x) { __asm__("fsqrt" : "+t"(x)); return x; }

static uint64_t x87work(int n) {
  uint64_t h = 0;
  /* zeta(2) and alternating series in extended precision (bit-exact arithmetic) */
  long double z = 0, alt = 0;
  for (int k = 1; k <= n; k++) {
    long double kk = (long double)k;
    z += 1.0L / (kk * kk);
    alt += ((k & 1) ? 1.0L : -1.0L) / (2.0L * kk - 1.0L);
  }
  h = mix(mix(h, ldbits(z)), ldbits(alt));
  /* Newton square roots against FSQRT */
  for (int k = 1; k <= n / 8; k++) {
    long double a = (long double)k * 1.25L + 0.5L, g = a;
    for (int i = 0; i < 6; i++) g = 0.5L * (g + a / g);
    h = mix(h, ldbits(g - x87_sqrt(a)));
  }
  /* transcendentals: within 1 ulp of the host, so folded in at float precision */
  float acc = 0;
  uint64_t th = 0;
  for (int k = 1; k <= n / 16; k++) {
    long double x = (long double)k * 0.0625L;
    float s = (float)x87_sin(x), c = (float)x87_cos(x), a = (float)x87_atan2(x, 3.0L);
    float l = (float)x87_log2(x), e = (float)x87_exp2m1(x / (1.0L + x));
    th = mix(th, (uint64_t)(*(uint32_t *)&s) ^ ((uint64_t)(*(uint32_t *)&l) << 32));
    acc += c + a + e;
  }
  uint32_t ab; __builtin_memcpy(&ab, &acc, 4);
  return mix(mix(h, th), ab);
}

uint64_t workload(void) {
  uint64_t h = nbody(40000);
  h = h * 1000003u ^ matmul(12);
  h = h * 1000003u ^ mandel(240, 160, 256);
  h = h * 1000003u ^ x87work(40000);
  return h;
}
