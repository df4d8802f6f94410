# 039: header :contains with i;octet
require "fileinto";
if header :contains :comparator "i;octet" "subject" "meeting" { fileinto "Yes"; } else { fileinto "No"; }
