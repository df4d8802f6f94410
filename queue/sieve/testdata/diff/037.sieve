# 037: header :is with i;octet is case-sensitive
require "fileinto";
if header :comparator "i;octet" :is "subject" "MEETING ON TUESDAY" { fileinto "Yes"; }
else { fileinto "No"; }
