/** `webgrad.data`: datasets, the DataLoader, and MNIST-format datasets. */
export { DataLoader, TensorDataset, type Dataset, type DataLoaderOptions } from './dataset.js';
export { fashionMnist, mnist, loadMnistFormat, FASHION_MNIST_CLASSES, type MnistOptions } from './mnist.js';
