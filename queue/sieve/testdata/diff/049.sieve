# 049: header on a missing header is false
require "fileinto";
if header :contains "x-missing" "" { fileinto "Yes"; } else { fileinto "No"; }
