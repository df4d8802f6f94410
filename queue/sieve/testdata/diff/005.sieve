# 005: fileinto twice to the same mailbox is one action (§2.10.3)
require "fileinto";
fileinto "Work";
fileinto "Work";
