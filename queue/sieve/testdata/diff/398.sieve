# 398: explicit i;ascii-casemap comparator
require "fileinto";
if header :is :comparator "i;ascii-casemap" "subject" "meeting ON tuesday" { fileinto "CI"; }
