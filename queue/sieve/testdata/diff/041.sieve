# 041: header :matches with *
require "fileinto";
if header :matches "subject" "Meet*day" { fileinto "Yes"; }
