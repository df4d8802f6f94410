# 075: address over several headers
require "fileinto";
if address :is ["to", "cc"] "dev@lists.example.org" { fileinto "List"; }
