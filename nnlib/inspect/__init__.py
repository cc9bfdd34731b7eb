"""Views into a model and its predictions (filters, feature maps, metrics, decision grids) as plain data
for the pages."""
