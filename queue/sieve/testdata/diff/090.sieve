# 090: address list of keys
require "fileinto";
if address :domain :is "from" ["example.com", "example.net"] { fileinto "Yes"; }
