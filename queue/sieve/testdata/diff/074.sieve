# 074: address :matches with * and ?
require "fileinto";
if address :matches "from" "al?ce@*.net" { fileinto "Yes"; }
