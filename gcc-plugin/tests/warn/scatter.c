/* scatter.c -- an AVX-512 scatter store the plugin does not split: warned */
void
scatter(double *restrict a, const int *restrict idx, const double *restrict b,
	int n)
{
	for (int i = 0; i < n; i++)
		a[idx[i]] = b[i];
}
