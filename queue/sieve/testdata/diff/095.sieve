# 095: address :domain of an address without a domain
require "fileinto";
if address :localpart :is "to" "postmaster" { fileinto "Local"; }
