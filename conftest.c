/* end confdefs.h.  */

/* Override any GCC internal prototype to avoid an error.
   Use char because int might match the return type of a GCC
   builtin and then its argument prototype would still apply.  */
char pam_start ();
int
main (void)
{
return pam_start ();
  ;
  return 0;
}
