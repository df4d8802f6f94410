# 036: header :is is case-insensitive by default (i;ascii-casemap)
require "fileinto";
if header :is "Subject" "MEETING ON TUESDAY" { fileinto "Yes"; }
