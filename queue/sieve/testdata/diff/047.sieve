# 047: header with a list of names
require "fileinto";
if header :contains ["x-none", "subject"] "Tuesday" { fileinto "Yes"; }
