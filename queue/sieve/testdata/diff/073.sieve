# 073: address :contains on the domain
require "fileinto";
if address :domain :contains "to" "ample" { fileinto "Yes"; }
